"""One dated table of public on-demand AWS prices (US East, N. Virginia), for the cost benchmark
and the paper estimates of the seed designs in docs/cost.md. Check the pages before quoting: the
figures are what they said when this table was written.

Sources: aws.amazon.com/kinesis/data-streams/pricing, /firehose/pricing, /s3/pricing,
/dynamodb/pricing/on-demand, /managed-service-apache-flink/pricing, /lambda/pricing,
/sns/pricing, /iot-core/pricing, /elasticache/pricing.
"""
from __future__ import annotations

AS_OF = "2026-11-26"
REGION = "us-east-1"

PRICES = {
    # Kinesis Data Streams, provisioned mode
    "kinesis.shard_hour": 0.015,
    "kinesis.put_payload_unit": 0.014 / 1e6,          # per 25 KB unit of (data + partition key)
    # Amazon Data Firehose, Direct PUT: billed per GB, each record rounded up to 5 KB
    "firehose.gb_ingested": 0.029,
    # S3 Standard
    "s3.put_request": 0.005 / 1000,
    "s3.gb_month": 0.023,
    # DynamoDB on-demand
    "dynamodb.write_request_unit": 0.625 / 1e6,       # per 1 KB of item, rounded up
    "dynamodb.read_request_unit": 0.125 / 1e6,
    "dynamodb.gb_month": 0.25,
    # Managed Service for Apache Flink (also what Kinesis Data Analytics for SQL charged)
    "msf.kpu_hour": 0.11,
    "msf.running_storage_gb_month": 0.10,             # 50 GB per KPU
    # Lambda (x86)
    "lambda.request": 0.20 / 1e6,
    "lambda.gb_second": 0.0000166667,
    # SNS: publishes; deliveries by email are free up to a point, SMS priced per message
    "sns.publish": 0.50 / 1e6,
    # CloudWatch custom metric PutMetricData: per 1,000 requests
    "cloudwatch.put_metric_request": 0.01 / 1000,
    # IoT Core: messages (per 5 KB) and rules engine (rule triggered + action)
    "iot.message": 1.00 / 1e6,
    "iot.rule_triggered": 0.15 / 1e6,
    "iot.rule_action": 0.15 / 1e6,
    # ElastiCache (Redis OSS), cache.t4g.small on-demand
    "elasticache.node_hour": 0.032,
}

HOURS_PER_MONTH = 730
