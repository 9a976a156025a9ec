package dev.handoff.streams;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class EncodedOnceTest {

    /** Encodes as "<topic>:<value>" and records every topic it was asked for. */
    private final List<String> encodedFor = new ArrayList<>();
    private final Serde<String> topicSerde = Serdes.serdeFrom(
            (Serializer<String>) (topic, value) -> {
                encodedFor.add(topic);
                return (topic + ":" + value).getBytes(StandardCharsets.UTF_8);
            },
            (Deserializer<String>) (topic, bytes) -> new String(bytes, StandardCharsets.UTF_8));

    @Test
    void theStoreAndTheSinkShareOneEncodingOfTheSameValue() {
        HandoffTopology.EncodedOnce<String> serde = new HandoffTopology.EncodedOnce<>(topicSerde, "findings.state");
        String state = new String("s1");

        byte[] forStore = serde.serializer().serialize("app-finding-state-changelog", state);
        byte[] forTopic = serde.serializer().serialize("findings.state", state);

        assertSame(forStore, forTopic, "the second call returns the first call's bytes");
        assertEquals(List.of("findings.state"), encodedFor, "encoded once, and always for the topic, whatever topic is named");
        assertEquals("findings.state:s1", serde.deserializer().deserialize("any", forStore));
    }

    @Test
    void anotherValueIsEncodedAfreshEvenWhenEqual() {
        HandoffTopology.EncodedOnce<String> serde = new HandoffTopology.EncodedOnce<>(topicSerde, "t");
        serde.serializer().serialize("t", new String("a"));
        serde.serializer().serialize("t", new String("a"));
        serde.serializer().serialize("t", new String("b"));
        assertEquals(3, encodedFor.size(), "remembered by identity only: a value may be rebuilt equal but is not the same object");
        assertNull(serde.serializer().serialize("t", null));
    }

    @Test
    void theActivitiesOfOneInputAreEachEncodedOnceThoughAllArePutBeforeAnyIsSent() {
        HandoffTopology.EncodedOnce<String> serde = new HandoffTopology.EncodedOnce<>(topicSerde, "findings.activity");
        List<String> activities = new ArrayList<>();
        for (int i = 0; i < HandoffTopology.EncodedOnce.REMEMBERED; i++) {
            activities.add(new String("a" + i));
        }
        List<byte[]> stored = new ArrayList<>();
        activities.forEach(a -> stored.add(serde.serializer().serialize("changelog", a)));
        for (int i = 0; i < activities.size(); i++) {
            assertSame(stored.get(i), serde.serializer().serialize("findings.activity", activities.get(i)));
        }
        assertEquals(activities.size(), encodedFor.size());

        serde.serializer().serialize("t", new String("one more")); // pushes out the oldest
        serde.serializer().serialize("t", activities.get(0));
        assertEquals(activities.size() + 2, encodedFor.size(), "at most " + HandoffTopology.EncodedOnce.REMEMBERED + " are remembered");
    }

    @Test
    void eachThreadRemembersItsOwnLastValue() throws InterruptedException {
        HandoffTopology.EncodedOnce<String> serde = new HandoffTopology.EncodedOnce<>(topicSerde, "t");
        String shared = new String("x");
        byte[] here = serde.serializer().serialize("t", shared);
        AtomicReference<byte[]> there = new AtomicReference<>();
        Thread other = new Thread(() -> there.set(serde.serializer().serialize("t", shared)));
        other.start();
        other.join();
        assertEquals(2, encodedFor.size(), "another stream thread does not see this thread's memo");
        assertArrayEquals(here, there.get());
    }
}
