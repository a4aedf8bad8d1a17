package io.telemetry.flink;

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
 */
public final class LinePacker extends AbstractStreamOperator<RowData>
        implements OneInputStreamOperator<RowData, RowData>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final int maxBytes;
    private final long lingerMs;
    private transient StringBuilder buffer;
    private transient int bufferBytes;
    private transient long generation;

    public LinePacker(int maxBytes, long lingerMs) {
        this.maxBytes = maxBytes;
        this.lingerMs = lingerMs;
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
            output.collect(new StreamRecord<>(GenericRowData.of(StringData.fromString(buffer.toString()))));
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
