package io.telemetry.flink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

/**
 * Packs newline-terminated lines (one STRING column) into rows of up to {@code maxBytes} UTF-8
 * bytes, in front of a Firehose sink ({@link PackedFirehoseTableFactory}): Firehose bills every
 * record rounded up to 5 KB, so a ~60-byte CSV line sent alone costs ~80 times its size, and it
 * concatenates the records it delivers, so the S3 objects still hold one line per row.
 *
 * <p>A packed row leaves when the next line would not fit, {@code lingerMs} after its first line
 * (processing time), before every checkpoint barrier (a checkpoint never covers a line that is
 * only in this buffer: nothing to keep in state, and the sink flushes it with the checkpoint),
 * and at the end of input. A line longer than maxBytes leaves alone (the sink then refuses it,
 * as Firehose would; the dead letters cap their payload well below the limit).
 *
 * <p>With {@code gzip} a packed row is the GZIP of its lines (a BYTES column): Firehose bills the
 * compressed bytes, and the S3 object it writes by concatenating them is itself a valid GZIP file
 * (a sequence of members, which gzip, Python, Java and Athena read as one stream). maxBytes still
 * bounds the lines before compression, so a record stays far below Firehose's limit.
 */
public final class LinePacker extends AbstractStreamOperator<RowData>
        implements OneInputStreamOperator<RowData, RowData>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final int maxBytes;
    private final long lingerMs;
    private final boolean gzip;
    private transient StringBuilder buffer;
    private transient int bufferBytes;
    private transient long generation;

    public LinePacker(int maxBytes, long lingerMs) {
        this(maxBytes, lingerMs, false);
    }

    public LinePacker(int maxBytes, long lingerMs, boolean gzip) {
        this.maxBytes = maxBytes;
        this.lingerMs = lingerMs;
        this.gzip = gzip;
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new StringBuilder();
    }

    @Override
    public void processElement(StreamRecord<RowData> element) {
        RowData row = element.getValue();
        if (row.isNullAt(0)) {
            return;
        }
        String line = row.getString(0).toString();
        int bytes = utf8Length(line);
        if (bufferBytes > 0 && bufferBytes + bytes > maxBytes) {
            flush();
        }
        if (bufferBytes == 0) {
            long due = generation;
            getProcessingTimeService().registerTimer(
                    getProcessingTimeService().getCurrentProcessingTime() + lingerMs,
                    t -> {
                        if (generation == due) {  // not flushed since this row began
                            flush();
                        }
                    });
        }
        buffer.append(line);
        bufferBytes += bytes;
    }

    private void flush() {
        if (bufferBytes > 0) {
            String lines = buffer.toString();
            output.collect(new StreamRecord<>(GenericRowData.of(
                    gzip ? gzip(lines) : StringData.fromString(lines))));
            buffer.setLength(0);
            bufferBytes = 0;
        }
        generation++;
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    @Override
    public void endInput() {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    static byte[] gzip(String lines) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(lines.length() / 4 + 64);
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(lines.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // in memory: cannot happen
        }
        return bytes.toByteArray();
    }

    static int utf8Length(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
