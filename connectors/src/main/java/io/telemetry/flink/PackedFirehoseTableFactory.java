package io.telemetry.flink;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSink;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.catalog.ResolvedCatalogTable;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.ProviderContext;
import org.apache.flink.table.connector.sink.DataStreamSinkProvider;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkV2Provider;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.FactoryUtil;

/**
 * The {@code firehose} connector of flink-connector-aws, unchanged, with a {@link LinePacker} in
 * front: connector {@code firehose-packed} takes every option of {@code firehose} plus
 * {@code sink.pack.linger.ms}, builds the real Firehose sink from the others, and hands it rows
 * that each carry many newline-terminated lines (up to Firehose's 1,000 KiB record limit).
 */
public final class PackedFirehoseTableFactory implements DynamicTableSinkFactory {

    public static final String IDENTIFIER = "firehose-packed";
    private static final String FIREHOSE = "firehose";
    public static final ConfigOption<Long> LINGER =
            ConfigOptions.key("sink.pack.linger.ms").longType().defaultValue(200L)
                    .withDescription("How long lines gather into one record before it goes to the sink.");
    /** Firehose's largest record (PutRecordBatch): 1,000 KiB. */
    public static final int MAX_RECORD_BYTES = 1000 * 1024;

    @Override
    public DynamicTableSink createDynamicTableSink(Context context) {
        ResolvedCatalogTable table = context.getCatalogTable();
        Map<String, String> options = new HashMap<>(table.getOptions());
        String linger = options.remove(LINGER.key());
        long lingerMs = linger == null ? LINGER.defaultValue() : Long.parseLong(linger);
        options.put(FactoryUtil.CONNECTOR.key(), FIREHOSE);
        Context firehose = new FactoryUtil.DefaultDynamicTableContext(
                context.getObjectIdentifier(), table.copy(options), context.getEnrichmentOptions(),
                context.getConfiguration(), context.getClassLoader(), context.isTemporary());
        return new PackedSink(firehose(context.getClassLoader()).createDynamicTableSink(firehose), lingerMs);
    }

    /** The connector's own factory, found as Flink finds it (by its identifier). */
    private static DynamicTableSinkFactory firehose(ClassLoader loader) {
        return FactoryUtil.discoverFactory(loader, DynamicTableSinkFactory.class, FIREHOSE);
    }

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return firehose(PackedFirehoseTableFactory.class.getClassLoader()).requiredOptions();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        Set<ConfigOption<?>> options = new HashSet<>(
                firehose(PackedFirehoseTableFactory.class.getClassLoader()).optionalOptions());
        options.add(LINGER);
        return options;
    }

    private static final class PackedSink implements DynamicTableSink {
        private final DynamicTableSink firehose;
        private final long lingerMs;

        PackedSink(DynamicTableSink firehose, long lingerMs) {
            this.firehose = firehose;
            this.lingerMs = lingerMs;
        }

        @Override
        public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
            return firehose.getChangelogMode(requestedMode);
        }

        @Override
        public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
            SinkV2Provider real = (SinkV2Provider) firehose.getSinkRuntimeProvider(context);
            return new DataStreamSinkProvider() {
                @Override
                public DataStreamSink<?> consumeDataStream(ProviderContext provider, DataStream<RowData> lines) {
                    SingleOutputStreamOperator<RowData> packed = lines.transform(
                            "pack lines", lines.getType(), new LinePacker(MAX_RECORD_BYTES, lingerMs));
                    provider.generateUid("pack-lines").ifPresent(packed::uid);
                    DataStreamSink<RowData> sink = packed.sinkTo(real.createSink()).name("firehose");
                    provider.generateUid("firehose").ifPresent(sink::uid);
                    return sink;
                }
            };
        }

        @Override
        public DynamicTableSink copy() {
            return new PackedSink(firehose.copy(), lingerMs);
        }

        @Override
        public String asSummaryString() {
            return "firehose, lines packed";
        }
    }
}
