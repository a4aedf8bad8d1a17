package io.telemetry.flink;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code archive_line(origin, payload)}: one record of the raw archive as a JSON line
 * (sql/35_output_raw_archive.sql): {@code arrival_time}, {@code data} (the payload text, cut at
 * {@link #MAX_DATA_CHARS}), {@code data_base64} (the exact bytes when they are not UTF-8, if not
 * over {@link #MAX_BASE64_CHARS}), {@code data_truncated} (only when something was cut),
 * {@code sequence_number}, {@code shard_id}; {@code origin} is
 * {@link TelemetryWatermarks#origin}'s {@code <shard id> <arrival ms> <sequence number> [<base64>]}.
 *
 * <p>Written by hand, not with SQL's JSON_OBJECT: every record passes here, and JSON_OBJECT
 * (a Jackson tree per row) took a third of the whole job's throughput. Escaping follows JSON
 * (RFC 8259): quote, backslash and control characters; nothing else.
 */
public final class ArchiveLine extends ScalarFunction {
    private static final long serialVersionUID = 1L;

    /** A Firehose record holds 1,000 KiB: 256 Ki characters of text, 4 bytes each at most. */
    public static final int MAX_DATA_CHARS = 262144;
    /** The base64 of 256 KiB. */
    public static final int MAX_BASE64_CHARS = 349528;

    private static final DateTimeFormatter UTC =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    public String eval(String origin, String payload) {
        if (origin == null || payload == null) {
            return null;
        }
        int a = origin.indexOf(' ');
        int b = origin.indexOf(' ', a + 1);
        int c = origin.indexOf(' ', b + 1);
        String shard = origin.substring(0, a);
        long arrival = Long.parseLong(origin, a + 1, b, 10);
        String sequence = c < 0 ? origin.substring(b + 1) : origin.substring(b + 1, c);
        String base64 = c < 0 ? null : origin.substring(c + 1);
        boolean truncated = payload.length() > MAX_DATA_CHARS
                || (base64 != null && base64.length() > MAX_BASE64_CHARS);
        StringBuilder line = new StringBuilder(payload.length() + payload.length() / 8 + 160);
        line.append("{\"arrival_time\":\"");
        appendUtc(arrival, line);
        line.append("\",\"data\":\"");
        escape(payload, Math.min(payload.length(), MAX_DATA_CHARS), line);
        line.append('"');
        if (base64 != null && base64.length() <= MAX_BASE64_CHARS) {
            line.append(",\"data_base64\":\"").append(base64).append('"');
        }
        if (truncated) {
            line.append(",\"data_truncated\":true");
        }
        line.append(",\"sequence_number\":\"");
        escape(sequence, sequence.length(), line);
        line.append("\",\"shard_id\":\"");
        escape(shard, shard.length(), line);
        return line.append("\"}").toString();
    }

    /**
     * {@code ms} as {@code yyyy-MM-dd'T'HH:mm:ss.SSS'Z'} in UTC, the same text as {@link #UTC} gives:
     * written digit by digit for years 1000 to 9999 (every record passes here, and the formatter
     * was a quarter of this function's time), by the formatter otherwise.
     */
    static void appendUtc(long ms, StringBuilder out) {
        long day = Math.floorDiv(ms, 86_400_000L);
        int inDay = (int) Math.floorMod(ms, 86_400_000L);
        java.time.LocalDate date = java.time.LocalDate.ofEpochDay(day);
        int year = date.getYear();
        if (year < 1000 || year > 9999) {
            out.append(UTC.format(Instant.ofEpochMilli(ms)));
            return;
        }
        out.append(year).append('-');
        two(date.getMonthValue(), out);
        out.append('-');
        two(date.getDayOfMonth(), out);
        out.append('T');
        two(inDay / 3_600_000, out);
        out.append(':');
        two(inDay / 60_000 % 60, out);
        out.append(':');
        two(inDay / 1000 % 60, out);
        out.append('.');
        int milli = inDay % 1000;
        out.append((char) ('0' + milli / 100)).append((char) ('0' + milli / 10 % 10)).append((char) ('0' + milli % 10));
        out.append('Z');
    }

    private static void two(int v, StringBuilder out) {
        out.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
    }

    static void escape(String s, int end, StringBuilder out) {
        int from = 0;
        for (int i = 0; i < end; i++) {
            char ch = s.charAt(i);
            if (ch >= 0x20 && ch != '"' && ch != '\\') {
                continue;
            }
            out.append(s, from, i);
            from = i + 1;
            switch (ch) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default: out.append("\\u00").append(HEX[ch >> 4]).append(HEX[ch & 0xF]);
            }
        }
        out.append(s, from, end);
    }
}
