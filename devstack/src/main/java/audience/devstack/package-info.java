/**
 * Local AWS emulators for tests and the CLI: {@link audience.devstack.DevStack} starts a child devstack JVM
 * ({@link audience.devstack.DevStackMain}) hosting S3Proxy (S3) and ElasticMQ (SQS), which runs dynalite (DynamoDB),
 * kinesis-local (Kinesis) and the SNS launcher {@code devstack/sns/server.mjs} as node processes.
 */
package audience.devstack;
