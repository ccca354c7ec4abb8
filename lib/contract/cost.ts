/**
 * The cost publisher's contract: the price table (overridable, with dated defaults), the request
 * `CostPerUnit` puts in its schedule's input (which resources to price), and how the publisher
 * turns usage into dollars (lambda/runtime/cost-model.ts).
 */

/**
 * Unit prices in USD. Defaults: us-east-1 on-demand list prices as published on the AWS pricing
 * pages in 2025 (check them for your region and date: `CostPerUnit`'s `prices` overrides any).
 */
export interface CostPrices {
  /**
   * Lambda compute per GB-second, arm64.
   * @default 0.0000133334
   */
  readonly lambdaArmGbSecond?: number;
  /**
   * Lambda compute per GB-second, x86_64.
   * @default 0.0000166667
   */
  readonly lambdaX86GbSecond?: number;
  /**
   * Lambda per request.
   * @default 0.0000002
   */
  readonly lambdaRequest?: number;
  /**
   * S3 Standard storage per GB-month.
   * @default 0.023
   */
  readonly s3StorageGbMonth?: number;
  /**
   * S3 per PUT, COPY, POST or LIST request.
   * @default 0.000005
   */
  readonly s3PutRequest?: number;
  /**
   * DynamoDB on-demand per write request unit.
   * @default 0.000000625
   */
  readonly dynamoDbWriteUnit?: number;
  /**
   * DynamoDB on-demand per read request unit.
   * @default 0.000000125
   */
  readonly dynamoDbReadUnit?: number;
  /**
   * Kinesis Data Streams on-demand per stream-hour.
   * @default 0.04
   */
  readonly kinesisOnDemandStreamHour?: number;
  /**
   * Kinesis Data Streams on-demand per GB written.
   * @default 0.08
   */
  readonly kinesisOnDemandIngestGb?: number;
  /**
   * Kinesis Data Streams on-demand per GB read.
   * @default 0.04
   */
  readonly kinesisOnDemandRetrievalGb?: number;
  /**
   * Kinesis Data Streams provisioned per shard-hour.
   * @default 0.015
   */
  readonly kinesisShardHour?: number;
  /**
   * Kinesis Data Streams provisioned per PUT payload unit (25 KB).
   * @default 0.000000014
   */
  readonly kinesisPutPayloadUnit?: number;
  /**
   * Amazon Data Firehose (Direct PUT or Kinesis source) per GB ingested.
   * @default 0.029
   */
  readonly firehoseIngestGb?: number;
  /**
   * SQS standard queue per request (64 KB chunk).
   * @default 0.0000004
   */
  readonly sqsRequest?: number;
  /**
   * Step Functions standard workflow per state transition.
   * @default 0.000025
   */
  readonly stepFunctionsTransition?: number;
  /**
   * Athena per TB scanned.
   * @default 5
   */
  readonly athenaTbScanned?: number;
  /**
   * CloudWatch Logs per GB ingested (standard log class).
   * @default 0.5
   */
  readonly logsIngestGb?: number;
}

/** The default prices (see {@link CostPrices}), every field set. */
export const DEFAULT_COST_PRICES: Readonly<Required<CostPrices>> = Object.freeze({
  lambdaArmGbSecond: 0.0000133334,
  lambdaX86GbSecond: 0.0000166667,
  lambdaRequest: 0.0000002,
  s3StorageGbMonth: 0.023,
  s3PutRequest: 0.000005,
  dynamoDbWriteUnit: 0.000000625,
  dynamoDbReadUnit: 0.000000125,
  kinesisOnDemandStreamHour: 0.04,
  kinesisOnDemandIngestGb: 0.08,
  kinesisOnDemandRetrievalGb: 0.04,
  kinesisShardHour: 0.015,
  kinesisPutPayloadUnit: 0.000000014,
  firehoseIngestGb: 0.029,
  sqsRequest: 0.0000004,
  stepFunctionsTransition: 0.000025,
  athenaTbScanned: 5,
  logsIngestGb: 0.5,
});

/** A Lambda function priced by the publisher. */
export interface CostFunction {
  /** Function name (the `FunctionName` dimension). */
  readonly name: string;
  /** Memory in MB. */
  readonly memoryMb: number;
  /** Whether it runs on arm64 (else x86_64). */
  readonly arm: boolean;
}

/** A Kinesis stream priced by the publisher. */
export interface CostStream {
  /** Stream name. */
  readonly name: string;
  /** Shards of a provisioned stream; 0 for an on-demand stream. */
  readonly shards: number;
}

/** A state machine priced by the publisher. */
export interface CostStateMachine {
  /** State machine ARN (the `StateMachineArn` dimension). */
  readonly arn: string;
  /** Estimated state transitions per execution (no CloudWatch metric counts them). */
  readonly transitionsPerExecution: number;
}

/**
 * What the cost publisher prices: the pipeline's resources by service, and the prices. Names are
 * the metrics' dimension values. Its schedule sends a {@link CostRequestInput} (the prices that
 * differ from the defaults only); {@link withDefaultPrices} completes it.
 */
export interface CostRequest {
  /** Pipeline name (dimension `Pipeline`). */
  readonly pipeline: string;
  /** The stage whose `RecordsIn` is the denominator. */
  readonly stage: string;
  /** The period priced, in seconds (the hour before the run). */
  readonly periodSeconds: number;
  readonly prices: Required<CostPrices>;
  readonly functions: CostFunction[];
  /** Buckets: storage (Standard), from the daily `BucketSizeBytes`. */
  readonly buckets: string[];
  /** Functions whose invocations each write at least one S3 object (PUT requests estimated from their invocations). */
  readonly s3Writers: string[];
  /** DynamoDB on-demand tables. */
  readonly tables: string[];
  readonly streams: CostStream[];
  /** Firehose delivery streams. */
  readonly deliveryStreams: string[];
  /** SQS queue names. */
  readonly queues: string[];
  readonly stateMachines: CostStateMachine[];
  /** Athena workgroups (with CloudWatch metrics on). */
  readonly workGroups: string[];
  /** CloudWatch Logs log group names. */
  readonly logGroups: string[];
}

/** The services a cost is split by (the `Service` dimension of `CostUsd`). */
export enum CostService {
  /** AWS Lambda: GB-seconds and requests. */
  LAMBDA = 'Lambda',
  /** Amazon S3: Standard storage and estimated PUTs. */
  S3 = 'S3',
  /** Amazon DynamoDB: on-demand request units. */
  DYNAMODB = 'DynamoDB',
  /** Amazon Kinesis Data Streams: stream or shard hours, bytes or PUT payload units. */
  KINESIS = 'Kinesis',
  /** Amazon Data Firehose: bytes ingested. */
  FIREHOSE = 'Firehose',
  /** Amazon SQS: requests. */
  SQS = 'SQS',
  /** AWS Step Functions: estimated state transitions. */
  STEP_FUNCTIONS = 'StepFunctions',
  /** Amazon Athena: bytes scanned. */
  ATHENA = 'Athena',
  /** Amazon CloudWatch Logs: bytes ingested. */
  CLOUDWATCH_LOGS = 'CloudWatchLogs',
}

/**
 * A {@link CostRequest} as the schedule sends it: only the prices the user overrode, so the rule
 * target's input (at most 8,192 characters, EventBridge) is spent on the resources.
 */
export type CostRequestInput = Omit<CostRequest, 'prices'> & {
  /** Prices overriding {@link DEFAULT_COST_PRICES}. */
  readonly prices?: CostPrices;
};

/** The request with every price: the defaults, overridden by the input's. */
export function withDefaultPrices(input: CostRequestInput): CostRequest {
  const overrides = Object.fromEntries(Object.entries(input.prices ?? {}).filter(([, v]) => v !== undefined));
  return { ...input, prices: { ...DEFAULT_COST_PRICES, ...overrides } };
}
