package dev.handoff.launcher;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FormatsTest {

    @Test
    void durationsReadAtTheScaleThatMatters() {
        assertEquals("-", Formats.duration(null));
        assertEquals("850 ms", Formats.duration(Duration.ofMillis(850)));
        assertEquals("42s", Formats.duration(Duration.ofSeconds(42)));
        assertEquals("5m 07s", Formats.duration(Duration.ofMillis(307_967)));
        assertEquals("2h 05m", Formats.duration(Duration.ofMinutes(125)));
        assertEquals("3d 4h", Formats.duration(Duration.ofHours(76)));
        assertEquals("-42s", Formats.duration(Duration.ofSeconds(-42)));
    }
}
