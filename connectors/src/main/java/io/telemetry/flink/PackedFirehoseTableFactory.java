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
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedCatalogTable;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.ProviderContext;
import org.apache.flink.table.connector.sink.DataStreamSinkProvider;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkV2Provider;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.table.types.DataType;

/**
 * The {@code firehose} connector of flink-connector-aws, unchanged, with a {@link LinePacker} in
 * front: connector {@code firehose-packed} takes every option of {@code firehose} plus
 * {@code sink.pack.linger.ms} and {@code sink.pack.gzip}, builds the real Firehose sink from the
 * others, and hands it rows that each carry many newline-terminated lines (up to Firehose's 1,000
 * KiB record limit), GZIP-compressed with {@code sink.pack.gzip} (the real sink then writes a BYTES
 * column in the raw format).
 */
public final class PackedFirehoseTableFactory implements DynamicTableSinkFactory {

    public static final String IDENTIFIER = "firehose-packed";
    private static final String FIREHOSE = "firehose";
    public static final ConfigOption<Long> LINGER =
            ConfigOptions.key("sink.pack.linger.ms").longType().defaultValue(200L)
                    .withDescription("How long lines gather into one record before it goes to the sink.");
    public static final ConfigOption<Boolean> GZIP =
            ConfigOptions.key("sink.pack.gzip").booleanType().defaultValue(false)
                    .withDescription("Compress each packed record with GZIP (format raw only).");
    /** Firehose's largest record (PutRecordBatch): 1,000 KiB. */
    public static final int MAX_RECORD_BYTES = 1000 * 1024;

    @Override
    public DynamicTableSink createDynamicTableSink(Context context) {
        ResolvedCatalogTable table = context.getCatalogTable();
        Map<String, String> options = new HashMap<>(table.getOptions());
        String linger = options.remove(LINGER.key());
        long lingerMs = linger == null ? LINGER.defaultValue() : Long.parseLong(linger);
        boolean gzip = Boolean.parseBoolean(options.remove(GZIP.key()));
        options.put(FactoryUtil.CONNECTOR.key(), FIREHOSE);
        ResolvedCatalogTable real = gzip ? asBytes(table, options) : table.copy(options);
        Context firehose = new FactoryUtil.DefaultDynamicTableContext(
                context.getObjectIdentifier(), real, context.getEnrichmentOptions(),
                context.getConfiguration(), context.getClassLoader(), context.isTemporary());
        return new PackedSink(firehose(context.getClassLoader()).createDynamicTableSink(firehose), lingerMs,
                gzip ? real.getResolvedSchema().toPhysicalRowDataType() : null);
    }

    /** The table with its one column as BYTES: what the real sink writes when records are GZIP. */
    private static ResolvedCatalogTable asBytes(ResolvedCatalogTable table, Map<String, String> options) {
        if (table.getResolvedSchema().getColumnCount() != 1 || !"raw".equals(options.get("format"))) {
            throw new IllegalArgumentException(GZIP.key() + " needs one column and 'format' = 'raw'");
        }
        String name = table.getResolvedSchema().getColumnNames().get(0);
        ResolvedSchema schema = ResolvedSchema.of(Column.physical(name, DataTypes.BYTES()));
        CatalogTable bytes = CatalogTable.newBuilder()
                .schema(Schema.newBuilder().fromResolvedSchema(schema).build())
                .comment(table.getComment())
                .partitionKeys(table.getPartitionKeys())
                .options(options)
                .build();
        return new ResolvedCatalogTable(bytes, schema);
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
        options.add(GZIP);
        return options;
    }

    private static final class PackedSink implements DynamicTableSink {
        private final DynamicTableSink firehose;
        private final long lingerMs;
        private final DataType gzipped;  // the real sink's row type when records are GZIP, else null

        PackedSink(DynamicTableSink firehose, long lingerMs, DataType gzipped) {
            this.firehose = firehose;
            this.lingerMs = lingerMs;
            this.gzipped = gzipped;
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
                            gzipped == null ? "pack lines" : "pack and gzip lines",
                            gzipped == null ? lines.getType() : rowType(context),
                            new LinePacker(MAX_RECORD_BYTES, lingerMs, gzipped != null));
                    provider.generateUid("pack-lines").ifPresent(packed::uid);
                    DataStreamSink<RowData> sink = packed.sinkTo(real.createSink()).name("firehose");
                    provider.generateUid("firehose").ifPresent(sink::uid);
                    return sink;
                }
            };
        }

        @SuppressWarnings("unchecked")
        private TypeInformation<RowData> rowType(Context context) {
            return (TypeInformation<RowData>) (TypeInformation<?>) context.createTypeInformation(gzipped);
        }

        @Override
        public DynamicTableSink copy() {
            return new PackedSink(firehose.copy(), lingerMs, gzipped);
        }

        @Override
        public String asSummaryString() {
            return gzipped == null ? "firehose, lines packed" : "firehose, lines packed and gzipped";
        }
    }
}
