"""Where the job reads and writes: the source and the sink tables, options filled from config.

The business SQL in sql/ only knows the table `telemetry_raw` and the views it defines; the
outputs (jobs/outputs.py) map those views to sink tables, declared here from their contracts.
`AwsIO` uses the real Flink AWS connectors (Kinesis source and sink, Firehose, DynamoDB);
tooling/file_io.py's `FileIO` swaps them for Flink's file source and filesystem sinks so analysts
can replay a captured JSON-lines file without any AWS at all. Both sources feed the same
per-split event-time logic (`register_source`).
"""
from __future__ import annotations

from jobs.config import Config
from jobs.outputs import Output
from udfs.telemetry import contract_json


def _family(logical_type: str) -> str:
    """'VARCHAR(14)', 'CHAR(32) NOT NULL' -> 'STRING'; 'DOUBLE NOT NULL' -> 'DOUBLE'."""
    t = logical_type.replace(" NOT NULL", "").strip()
    return "STRING" if t.startswith(("VARCHAR", "CHAR")) else t


def contract_violations(output: Output, columns: list[tuple[str, str]]) -> list[str]:
    """How the view's (name, logical type) columns differ from the output's contract."""
    have, want = [(n, _family(t)) for n, t in columns], output.contract
    if have == want:
        return []
    types, wanted = dict(have), dict(want)
    problems = [f"column {n} is {types[n]}, the contract says {t}" for n, t in want if n in types and types[n] != t]
    problems += [f"column {n} ({t}) is missing" for n, t in want if n not in types]
    problems += [f"column {n} ({t}) is not in the contract" for n, t in have if n not in wanted]
    return problems or [f"columns are in another order: {', '.join(n for n, _ in have)}"]


def _with(options: dict[str, str]) -> str:
    def quote(s: str) -> str:
        return "'" + str(s).replace("'", "''") + "'"
    return ",\n  ".join(f"{quote(k)} = {quote(v)}" for k, v in options.items())


def register_source(t_env, config: Config, io) -> None:
    """Declare `telemetry_raw`: one row per record read: `payload` (text; invalid UTF-8 becomes
    U+FFFD so binary garbage reaches the parser and the dead letters), `event_ts` (its rowtime),
    `verdict` ('F' too far ahead, 'L' late, '-' neither) and `origin`, where it came from (shard,
    Kinesis arrival time, sequence number, and the exact bytes when they are not UTF-8).

    Event time is decided inside the source, per split (Kinesis shard, replayed file), by the
    project's Java helpers (connectors/src/main/java): each shard has its own watermark and its
    own late verdict, so neither depends on how many subtasks read the shards or how far apart
    they are; a subtask forwards its slowest shard's watermark. A record without a usable event
    time (it breaks the record contract, or is more than job.max-future-skew.s ahead of the stream's
    clock) has the epoch
    as event_ts and never moves a watermark. The SQL Kinesis source cannot do this: it assigns the
    watermark after the source, over all of a subtask's shards interleaved.
    """
    from pyflink.common import Duration, Types, WatermarkStrategy
    from pyflink.datastream import DataStream, StreamExecutionEnvironment
    from pyflink.java_gateway import get_gateway
    from pyflink.table import DataTypes, Schema

    job = config["job"]
    strategy = WatermarkStrategy(get_gateway().jvm.io.telemetry.flink.TelemetryWatermarks(
        job["watermark.out-of-orderness.ms"]))
    strategy = strategy.with_idleness(Duration.of_millis(job["source.idle-timeout.ms"]))
    env = StreamExecutionEnvironment(t_env._j_tenv.execEnv())
    # Stable ids: a savepoint's source positions and per-shard verdicts are found again by them.
    stream = env.from_source(io.source(config), strategy, "telemetry", Types.STRING()).uid("telemetry-source")
    stream = io.per_split(stream, config)
    rows = getattr(get_gateway().jvm.io.telemetry.flink, "JobMetrics$SourceRows")()
    stream = DataStream(stream._j_data_stream.map(rows).uid("records-read").name("records read"))
    table = t_env.from_data_stream(stream, Schema.new_builder()
                                   .column("verdict", DataTypes.STRING())
                                   .column("origin", DataTypes.STRING())
                                   .column("payload", DataTypes.STRING())
                                   .column_by_metadata("event_ts", DataTypes.TIMESTAMP_LTZ(3), "rowtime")
                                   .watermark("event_ts", "SOURCE_WATERMARK()")
                                   .build())
    t_env.create_temporary_view("telemetry_source", table)
    # origin = <shard id> SPACE <arrival ms> SPACE <sequence number> [SPACE <base64 of the bytes,
    # if not UTF-8>] (TelemetryWatermarks.origin); the raw archive (archive_line) reads it.
    t_env.execute_sql("CREATE TEMPORARY VIEW telemetry_raw AS SELECT payload, event_ts, verdict, origin "
                      "FROM telemetry_source")


# Views computed once and handed on as a stream: several files read them and their rows cost a
# Python call. Left to itself the planner copies a shared view into each reader with that
# reader's projection, and the parser then runs once per reader (twice per record here).
# View -> its column holding the parser's result (a ROW whose first field is the dead-letter
# reason), whose rejections are counted by reason as the rows pass (JobMetrics), or None.
# telemetry_checked: two files read it, and each would read the payload again (valid_reading)
# without the boundary; telemetry_explained: the Python parser's rows, every one a rejection,
# read by the dead letters alone now and handed on for the count by reason as they pass.
MATERIALIZED_VIEWS: dict[str, str | None] = {"telemetry_checked": None, "telemetry_explained": "r"}


def materialize(t_env, view: str) -> None:
    """Replace `view` by the same rows passed through a DataStream, a boundary the planner cannot
    copy across; its rowtime and watermark go along (the stream record's timestamp)."""
    from pyflink.table import DataTypes, Schema

    table = t_env.from_path(view)
    columns = table.get_schema().get_field_names()
    rowtime = [c.getName() for c in table._j_table.getResolvedSchema().getColumns()
               if c.getDataType().getLogicalType().toString().endswith("*ROWTIME*")]
    if len(rowtime) != 1:
        raise ValueError(f"view {view} needs exactly one rowtime column to be materialized, has {rowtime}")
    # Rows stay in Flink's internal format across the boundary (RowData, not Row): converting the
    # payload's and the parsed fields' strings to Java and back cost ~10% of the job's samples.
    from pyflink.datastream import DataStream
    from pyflink.java_gateway import get_gateway

    jvm = get_gateway().jvm
    internal = table._j_table.getResolvedSchema().toPhysicalRowDataType().bridgedTo(
        jvm.java.lang.Class.forName("org.apache.flink.table.data.RowData"))
    j_stream = t_env._j_tenv.toDataStream(table._j_table, internal)
    parsed = MATERIALIZED_VIEWS.get(view)
    if parsed:
        index = columns.index(parsed)
        arity = len(table.get_schema().get_field_data_type(parsed).fields)
        counted = getattr(jvm.io.telemetry.flink, "JobMetrics$CountRejections")(index, arity)
        j_stream = j_stream.map(counted).returns(j_stream.getType()).name("rejections counted")
    stream = DataStream(j_stream)
    t_env.drop_temporary_view(view)
    t_env.create_temporary_view(f"{view}__stream", t_env.from_data_stream(
        stream, Schema.new_builder()
        .column_by_metadata("rowtime__", DataTypes.TIMESTAMP_LTZ(3), "rowtime")
        .watermark("rowtime__", "SOURCE_WATERMARK()")
        .build()))
    select = ", ".join("rowtime__ AS `%s`" % c if c == rowtime[0] else f"`{c}`" for c in columns)
    t_env.execute_sql(f"CREATE TEMPORARY VIEW {view} AS SELECT {select} FROM {view}__stream")


def sink_ddl(output: Output, options: dict[str, str], partitioned: bool,
             columns: list[tuple[str, str]] | None = None) -> str:
    """The sink table: the output's contract columns (or `columns`, for tests of other shapes)."""
    columns = output.contract if columns is None else columns
    cols = [f"  `{name}` {dtype}{' NOT NULL' if name in output.key else ''}" for name, dtype in columns]
    if output.key:
        cols.append(f"  PRIMARY KEY ({', '.join(output.key)}) NOT ENFORCED")
    partition = ""
    if partitioned and (output.partition_by or output.key):
        partition = f"\nPARTITIONED BY ({', '.join(output.partition_by or output.key)})"
    return (f"CREATE TEMPORARY TABLE {output.table} (\n" + ",\n".join(cols) + f"\n){partition}"
            f" WITH (\n  {_with(options)}\n)")


class AwsIO:
    """Kinesis in; Firehose, DynamoDB and Kinesis out, via the connector jar on pipeline.jars."""

    # Firehose concatenates records; each CSV / JSON line carries its own newline.
    line_suffix = "CHR(10)"
    # Kinesis: partition key = vehicle_id. DynamoDB: de-duplicates keys within a batch.
    partitioned = True

    def __init__(self, config: Config):
        self.config = config

    def _aws(self) -> dict[str, str]:
        aws = self.config["aws"]
        opts = {"aws.region": aws["region"]}
        if aws["endpoint"]:
            opts["aws.endpoint"] = aws["endpoint"]
        if aws["credentials.provider"] == "BASIC":
            opts.update({"aws.credentials.provider": "BASIC",
                         "aws.credentials.basic.accesskeyid": aws["credentials.access-key-id"],
                         "aws.credentials.basic.secretkey": aws["credentials.secret-key"]})
        return opts

    def _async_sink(self) -> dict[str, str]:
        opts = {"sink.flush-buffer.timeout": str(self.config.get("sinks", "flush.timeout.ms"))}
        if self.config.get("aws", "endpoint"):
            # moto speaks no HTTP/2; real Kinesis does and it is the connector's default.
            opts["sink.http-client.protocol.version"] = "HTTP1_1"
        return opts

    def source_options(self) -> dict[str, str]:
        """The Kinesis source's configuration (the DataStream source's keys: AWS credentials
        under aws.credentials.provider.*, where the SQL connector spells aws.credentials.*)."""
        src = self.config["source.telemetry"]
        opts = {k.replace("aws.credentials.basic.", "aws.credentials.provider.basic."): v
                for k, v in self._aws().items()}
        opts.update({"source.init.position": src["init.position"],
                     "source.shard.discovery.interval": f"{src['shard.discovery.interval.s']} s",
                     "source.reader.type": src["reader.type"]})
        if src["init.position"] == "AT_TIMESTAMP":
            opts["source.init.timestamp"] = src["init.timestamp"]
        if src["reader.type"] == "EFO":
            opts["source.efo.consumer.name"] = src["efo.consumer.name"]
        return opts

    def source(self, config: Config):
        from pyflink.datastream.connectors import Source
        from pyflink.java_gateway import get_gateway

        jvm = get_gateway().jvm
        conf = jvm.org.apache.flink.configuration.Configuration()
        for key, value in self.source_options().items():
            conf.setString(key, value)
        # Per record: the event time, and F against the stream's clock (its Kinesis arrival time).
        schema = jvm.io.telemetry.flink.TelemetryKinesisDeserializer(
            config.get("job", "max-future-skew.s") * 1000, contract_json())
        return Source(jvm.org.apache.flink.connector.kinesis.source.KinesisStreamsSource.builder()
                      .setStreamArn(self.config.get("source.telemetry", "stream.arn"))
                      .setSourceConfig(conf)
                      .setDeserializationSchema(schema)
                      .build())

    def per_split(self, stream, config: Config):
        """The late verdicts, per shard, in checkpointed state (ShardVerdicts, chained to the
        source): records read again after a restart get the verdicts they had the first time."""
        from pyflink.datastream import DataStream
        from pyflink.java_gateway import get_gateway

        ooo_ms = config.get("job", "watermark.out-of-orderness.ms")
        verdicts = get_gateway().jvm.io.telemetry.flink.ShardVerdicts(ooo_ms)
        return DataStream(stream._j_data_stream.map(verdicts).uid("shard-verdicts").name("shard verdicts"))

    def sink_options(self, output: Output) -> dict[str, str]:
        opts = {"connector": output.connector,
                output.target_option: self.config.get(output.config_group, output.target_option),
                **self._aws(), **self._async_sink()}
        if output.connector != "dynamodb":  # DynamoDB writes columns as attributes, no format
            opts["format"] = "raw" if output.lines else "json"
        linger_ms = self.config.get("sinks", "firehose.linger.ms")
        if output.connector == "firehose" and output.lines and (linger_ms or output.gzip):
            # The same Firehose connector, many lines to a record (PackedFirehoseTableFactory in
            # connectors/src/main/java): Firehose bills each record rounded up to 5 KB.
            opts.update({"connector": "firehose-packed", "sink.pack.linger.ms": str(linger_ms)})
            if output.gzip:
                opts["sink.pack.gzip"] = "true"
        return opts
