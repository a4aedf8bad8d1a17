package io.telemetry.flink;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;

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

    /**
     * The last payload this thread parsed, and its tree (null: not JSON). On the Kinesis path the
     * deserializer parses a payload for its event time and valid_reading reads the same payload
     * moments later in the same task thread (chained), so the second parse is an equals(). Read
     * only: no caller changes a tree.
     */
    private static final ThreadLocal<Object[]> LAST_PARSED = ThreadLocal.withInitial(() -> new Object[2]);

    private final String heartbeat;
    private final Pattern vehicleId;
    private final String reservedVehicleId;
    private final List<NumberRule> numbers = new ArrayList<>();
    /** The parser's columns (udfs.telemetry.FIELDS): name and STRING, BIGINT or DOUBLE. */
    private final List<String[]> columns = new ArrayList<>();
    private final int vehicleIdColumn;
    private final int eventTimeColumn;

    /**
     * {@code spec}: {"heartbeat": field, "vehicle_id": {"pattern", "reserved"},
     * "numbers": [{"path", "integer", "min", "max", "column"}], "columns": [[name, type]]}; a
     * number's column is its index in columns, null for a number that is checked and not kept.
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
        for (JsonNode c : root.path("columns")) {
            columns.add(new String[] {c.path(0).asText(), c.path(1).asText()});
        }
        for (JsonNode n : root.path("numbers")) {
            List<String> path = new ArrayList<>();
            n.path("path").forEach(p -> path.add(p.asText()));
            int column = n.path("column").isInt() ? n.path("column").intValue() : -1;
            if (column >= columns.size() || (column >= 0 && columns.get(column)[1].equals("STRING"))) {
                throw new IllegalArgumentException("record contract: number " + path + " has column " + column
                        + ", not a number column of " + columns.size());
            }
            numbers.add(new NumberRule(path.toArray(new String[0]), n.path("integer").asBoolean(),
                    n.path("min").isNumber() ? n.path("min").doubleValue() : Double.NEGATIVE_INFINITY,
                    n.path("max").isNumber() ? n.path("max").doubleValue() : Double.POSITIVE_INFINITY, column));
        }
        if (numbers.isEmpty()) {
            throw new IllegalArgumentException("record contract has no numbers: " + spec);
        }
        vehicleIdColumn = columnIndex("vehicle_id");
        eventTimeColumn = columnIndex("event_time");
    }

    private int columnIndex(String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i)[0].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The parser's columns: name and type (STRING, BIGINT or DOUBLE), in its order. */
    public List<String[]> columns() {
        return columns;
    }

    /**
     * The parser's row for a reading (not a heartbeat) that passes every check: reason and detail
     * null, vehicle_id and event_time as written, each number as the parser gives it (BIGINT
     * columns as longs, an integral float such as 3.0 included; DOUBLE columns as doubles, an
     * integer literal included); null for anything else, which only the parser can explain.
     */
    public GenericRowData reading(String payload) {
        JsonNode root = object(payload);
        if (root == null || heartbeat(root) || vehicleIdColumn < 0 || eventTimeColumn < 0) {
            return null;
        }
        GenericRowData row = new GenericRowData(columns.size());
        if (readingTime(root, row) == null) {
            return null;
        }
        row.setField(vehicleIdColumn, StringData.fromString(root.get("vehicle_id").textValue()));
        row.setField(eventTimeColumn, StringData.fromString(root.get("event_time").textValue()));
        return row;
    }

    /**
     * Epoch milliseconds of the record's event_time when the record passes every check or is a
     * heartbeat ({@code {"heartbeat": true, "event_time": ...}}), else null.
     */
    public Long validEventTime(String payload) {
        JsonNode root = object(payload);
        if (root == null) {
            return null;
        }
        return heartbeat(root) ? eventTime(root) : readingTime(root, null);
    }

    /** The payload's JSON object, or null when it is not one. */
    private static JsonNode object(String payload) {
        JsonNode root = payload == null ? null : tree(payload);
        return root != null && root.isObject() ? root : null;
    }

    private boolean heartbeat(JsonNode root) {
        JsonNode beat = root.get(heartbeat);
        return beat != null && beat.isBoolean() && beat.booleanValue();
    }

    /**
     * The event time of a reading that passes every check (vehicle_id, event_time, the numbers),
     * else null; {@code row}, when given, gets each kept number as the parser gives it (BIGINT
     * columns as longs, an integral float such as 3.0 included; DOUBLE columns as doubles).
     */
    private Long readingTime(JsonNode root, GenericRowData row) {
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
            JsonNode node = rule.valid(root);
            if (node == null) {
                return null;
            }
            if (row != null && rule.column >= 0) {
                row.setField(rule.column, rule.integer ? (Object) (node.isIntegralNumber() ? node.longValue()
                        : (long) node.doubleValue()) : (Object) node.doubleValue());
            }
        }
        return ms;
    }

    private static JsonNode tree(String payload) {
        Object[] last = LAST_PARSED.get();
        if (payload.equals(last[0])) {
            return (JsonNode) last[1];
        }
        JsonNode root;
        try {
            root = JSON.readTree(payload);
        } catch (Exception e) {
            root = null;
        }
        last[0] = payload;
        last[1] = root;
        return root;
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

        private final int column;

        NumberRule(String[] path, boolean integer, double min, double max, int column) {
            this.path = path;
            this.integer = integer;
            this.min = min;
            this.max = max;
            this.column = column;
        }

        /** The number's node if it passes, else null. */
        JsonNode valid(JsonNode root) {
            JsonNode node = root;
            for (String part : path) {
                if (node == null || !node.isObject()) {
                    return null;
                }
                node = node.get(part);
            }
            // Booleans are not numbers here, as in the parser.
            if (node == null || !node.isNumber()) {
                return null;
            }
            double v = node.doubleValue();
            if (!Double.isFinite(v)) {
                return null;
            }
            if (integer && !node.isIntegralNumber() && v != Math.rint(v)) {
                return null;
            }
            return min <= v && v <= max ? node : null;
        }
    }
}
