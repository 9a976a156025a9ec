package dev.handoff.streams.enrich;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class CvssV4VectorsTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:L/SC:H/SI:L/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/CR:H/MAV:L/MSI:S/S:P/AU:Y/R:I/V:C/RE:H/U:Amber",
        "CVSS:4.0/SA:N/SI:N/SC:N/VA:H/VI:H/VC:H/UI:N/PR:N/AT:N/AC:L/AV:N",
    })
    void acceptsValidVectors(String vector) {
        assertEquals(List.of(), CvssV4Vectors.problems(vector));
        assertTrue(CvssV4Vectors.isValid(vector));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H                     | does not start with CVSS:4.0/",
        "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N            | does not start with CVSS:4.0/",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N       | missing base metrics SA",
        "CVSS:4.0/AV:Z/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N  | invalid value 'Z' for AV",
        "CVSS:4.0/AV:N/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N | AV appears more than once",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/XX:Y | unknown metric 'XX'",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/ | segment '' is not METRIC:VALUE",
        "CVSS:4.0/av:n/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N  | unknown metric 'av'",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N  | invalid value 'S' for SI",
        "CVSS:4.0/AVN/AC:L                                                  | segment 'AVN' is not METRIC:VALUE",
    })
    void reportsWhatIsWrong(String vector, String problem) {
        List<String> problems = CvssV4Vectors.problems(vector);

        assertTrue(problems.stream().anyMatch(p -> p.contains(problem)), problems::toString);
        assertFalse(CvssV4Vectors.isValid(vector));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = "  ")
    void emptyVectorIsInvalid(String vector) {
        assertEquals(List.of("vector is empty"), CvssV4Vectors.problems(vector));
    }
}
