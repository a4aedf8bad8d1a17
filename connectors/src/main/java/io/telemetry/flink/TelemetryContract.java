package io.telemetry.flink;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.json.JsonReadFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The record contract's checks, applied in the source so that a record the parser will reject
 * never moves a watermark. The checks are not written here: they come as data from the Python
 * parser that owns them ({@code udfs.telemetry.contract_json()}), so the two cannot drift apart;
 * a test feeds both the same valid and broken records.
 */
public final class TelemetryContract implements Serializable {
    private static final long serialVersionUID = 1L;

    // As lenient as Python's json.loads (NaN and Infinity literals), and as strict (one document).
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final String heartbeat;
    private final Pattern vehicleId;
    private final String reservedVehicleId;
    private final List<NumberRule> numbers = new ArrayList<>();

    /**
     * {@code spec}: {"heartbeat": field, "vehicle_id": {"pattern", "reserved"},
     * "numbers": [{"path", "integer", "min", "max"}]}.
     */
    public TelemetryContract(String spec) {
        JsonNode root;
        try {
            root = JSON.readTree(spec);
        } catch (Exception e) {
            throw new IllegalArgumentException("record contract is not JSON: " + e.getMessage(), e);
        }
        heartbeat = root.path("heartbeat").asText();
        vehicleId = Pattern.compile(root.path("vehicle_id").path("pattern").asText());
        reservedVehicleId = root.path("vehicle_id").path("reserved").asText();
        for (JsonNode n : root.path("numbers")) {
            List<String> path = new ArrayList<>();
            n.path("path").forEach(p -> path.add(p.asText()));
            numbers.add(new NumberRule(path.toArray(new String[0]), n.path("integer").asBoolean(),
                    n.path("min").isNumber() ? n.path("min").doubleValue() : Double.NEGATIVE_INFINITY,
                    n.path("max").isNumber() ? n.path("max").doubleValue() : Double.POSITIVE_INFINITY));
        }
        if (numbers.isEmpty()) {
            throw new IllegalArgumentException("record contract has no numbers: " + spec);
        }
    }

    /**
     * Epoch milliseconds of the record's event_time when the record passes every check or is a
     * heartbeat ({@code {"heartbeat": true, "event_time": ...}}), else null.
     */
    public Long validEventTime(String payload) {
        if (payload == null) {
            return null;
        }
        JsonNode root;
        try {
            root = JSON.readTree(payload);
        } catch (Exception e) {
            return null;
        }
        if (root == null || !root.isObject()) {
            return null;
        }
        JsonNode beat = root.get(heartbeat);
        if (beat != null && beat.isBoolean() && beat.booleanValue()) {
            return eventTime(root);
        }
        JsonNode id = root.get("vehicle_id");
        if (id == null || !id.isTextual() || !vehicleId.matcher(id.textValue()).matches()
                || reservedVehicleId.equals(id.textValue())) {
            return null;
        }
        Long ms = eventTime(root);
        if (ms == null) {
            return null;
        }
        for (NumberRule rule : numbers) {
            if (!rule.accepts(root)) {
                return null;
            }
        }
        return ms;
    }

    private static Long eventTime(JsonNode root) {
        JsonNode time = root.get("event_time");
        return time == null || !time.isTextual() ? null : TelemetryWatermarks.parseUtc(time.textValue());
    }

    private static final class NumberRule implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String[] path;
        private final boolean integer;
        private final double min;
        private final double max;

        NumberRule(String[] path, boolean integer, double min, double max) {
            this.path = path;
            this.integer = integer;
            this.min = min;
            this.max = max;
        }

        boolean accepts(JsonNode root) {
            JsonNode node = root;
            for (String part : path) {
                if (node == null || !node.isObject()) {
                    return false;
                }
                node = node.get(part);
            }
            // Booleans are not numbers here, as in the parser.
            if (node == null || !node.isNumber()) {
                return false;
            }
            double v = node.doubleValue();
            if (!Double.isFinite(v)) {
                return false;
            }
            if (integer && !node.isIntegralNumber() && v != Math.rint(v)) {
                return false;
            }
            return min <= v && v <= max;
        }
    }
}
