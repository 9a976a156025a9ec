package dev.handoff.streams.stages;

import dev.handoff.avro.FindingTarget;

import java.util.ArrayList;
import java.util.List;

/** A one-line human description of a finding's target, for notifications. */
final class TargetSummary {

    private TargetSummary() {
    }

    static String of(FindingTarget t) {
        if (t == null) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        if (t.getImage() != null) {
            parts.add(t.getImage() + (t.getImageTag() == null ? "" : ":" + t.getImageTag()));
        }
        if (t.getRepository() != null) {
            parts.add(t.getRepository());
        }
        if (t.getHost() != null) {
            parts.add(t.getHost() + (t.getPort() == null ? "" : ":" + t.getPort()));
        } else if (t.getIp() != null) {
            parts.add(t.getIp() + (t.getPort() == null ? "" : ":" + t.getPort()));
        }
        if (t.getUrl() != null) {
            parts.add(t.getUrl());
        }
        if (t.getPackagePurl() != null) {
            parts.add(t.getPackagePurl());
        } else if (t.getPackageName() != null) {
            parts.add(t.getPackageName() + (t.getPackageVersion() == null ? "" : "@" + t.getPackageVersion()));
        }
        if (t.getFilePath() != null) {
            parts.add(t.getFilePath() + (t.getLine() == null ? "" : ":" + t.getLine()));
        }
        if (t.getCloudResource() != null) {
            parts.add(t.getCloudResource());
        }
        return parts.isEmpty() ? null : String.join(" ", parts);
    }
}
