package io.telemetry.flink;

import java.util.ArrayList;
import java.util.List;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.DataTypeFactory;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.inference.TypeInference;
import org.apache.flink.table.types.inference.TypeStrategies;

/**
 * {@code valid_reading(payload)} (sql/10_staging_checked.sql): the Python parser's row for a
 * reading that passes the whole record contract, read in Java; NULL for any other payload (broken,
 * a heartbeat), which goes to the parser ({@code parse_telemetry}) for its reason.
 *
 * <p>Why: nearly every record is valid, and the parser's interpreter (one per TaskManager, one
 * lock) was half of the source task's time per record. The checks are the parser's, handed over
 * as data ({@code udfs.telemetry.contract_json()}, {@link TelemetryContract}), and so is the row
 * type; a property test holds the two to the same row for any input.
 */
public final class ValidReading extends ScalarFunction {
    private static final long serialVersionUID = 1L;

    private final TelemetryContract contract;

    public ValidReading(String contractSpec) {
        this.contract = new TelemetryContract(contractSpec);
    }

    public RowData eval(String payload) {
        return contract.reading(payload);
    }

    @Override
    public TypeInference getTypeInference(DataTypeFactory typeFactory) {
        List<DataTypes.Field> fields = new ArrayList<>();
        for (String[] column : contract.columns()) {
            DataType type;
            switch (column[1]) {
                case "STRING": type = DataTypes.STRING(); break;
                case "BIGINT": type = DataTypes.BIGINT(); break;
                case "DOUBLE": type = DataTypes.DOUBLE(); break;
                default: throw new IllegalArgumentException("record contract: column " + column[0]
                        + " has type " + column[1] + ", expected STRING, BIGINT or DOUBLE");
            }
            fields.add(DataTypes.FIELD(column[0], type));
        }
        DataType row = DataTypes.ROW(fields.toArray(new DataTypes.Field[0])).bridgedTo(RowData.class);
        return TypeInference.newBuilder()
                .typedArguments(DataTypes.STRING())
                .outputTypeStrategy(TypeStrategies.explicit(row))
                .build();
    }

    @Override
    public boolean isDeterministic() {
        return true;
    }
}
