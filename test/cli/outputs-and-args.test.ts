import { findOutput, findOutputs, logicalName, readOutputsFile, describeStackOutputs } from '../../cli/outputs';
import { main } from '../../cli/main';
import { confirm } from '../../cli/confirm';
import { CliError, RateLimiter } from '../../cli/context';
import { captureIo, clientsOf, fakeClient, writeOutputsFile } from './support';

const OUTPUTS = {
  PipelineRawBucketName1A2B3C4D: 'raw-bucket',
  PipelineBufferQueueUrlF00D0001: 'https://sqs.eu-west-1.amazonaws.com/1/buffer',
  PipelineBufferDlqUrl9BA9DAB0: 'https://sqs.eu-west-1.amazonaws.com/1/buffer-dlq',
  PipelineDeliveryDlqUrlABCDEF12: 'https://sqs.eu-west-1.amazonaws.com/1/delivery-dlq',
  PipelineBatchWorkflowPausedParameter0A1B2C3D: '/cdk-serverless-etl/clickstream/paused',
};

describe('outputs', () => {
  test('logical names drop the CDK hash suffix', () => {
    expect(logicalName('PipelineBufferDlqUrl9BA9DAB0')).toBe('PipelineBufferDlqUrl');
    expect(logicalName('BufferDlqUrl')).toBe('BufferDlqUrl');
  });

  test('outputs are found by logical name, exact key, and suffix; ambiguity is an error', () => {
    expect(findOutput(OUTPUTS, 'BufferDlqUrl')).toBe('https://sqs.eu-west-1.amazonaws.com/1/buffer-dlq');
    expect(findOutput(OUTPUTS, 'PipelineDeliveryDlqUrlABCDEF12')).toBe('https://sqs.eu-west-1.amazonaws.com/1/delivery-dlq');
    expect(findOutput(OUTPUTS, 'RawBucketName')).toBe('raw-bucket');
    expect(findOutput(OUTPUTS, 'EventArchiveName')).toBeUndefined();
    expect(findOutputs(OUTPUTS, 'DlqUrl').map(([k]) => k)).toEqual(['PipelineBufferDlqUrl9BA9DAB0', 'PipelineDeliveryDlqUrlABCDEF12']);
    expect(() => findOutput(OUTPUTS, 'DlqUrl')).toThrow(/ambiguous: PipelineBufferDlqUrl9BA9DAB0, PipelineDeliveryDlqUrlABCDEF12/);
  });

  test('an outputs file with one stack is used; with several, --stack picks one', () => {
    expect(readOutputsFile(writeOutputsFile({ EtlStack: OUTPUTS }))).toEqual(OUTPUTS);
    const two = writeOutputsFile({ A: { X: '1' }, B: { X: '2' } });
    expect(readOutputsFile(two, 'B')).toEqual({ X: '2' });
    expect(() => readOutputsFile(two)).toThrow(/holds 2 stacks \(A, B\); choose one with --stack/);
    expect(() => readOutputsFile(two, 'C')).toThrow(/stack C is not in .* \(it has: A, B\)/);
    expect(() => readOutputsFile('/nonexistent/outputs.json')).toThrow(/cannot read outputs file/);
    expect(() => readOutputsFile(writeOutputsFile({ A: { X: 1 } } as never))).toThrow(/must be an object of strings/);
  });

  test('DescribeStacks outputs', async () => {
    const cfn = fakeClient(() => ({ Stacks: [{ Outputs: [{ OutputKey: 'PipelineRawBucketName1A2B3C4D', OutputValue: 'raw' }] }] }));
    expect(await describeStackOutputs(cfn as never, 'EtlStack')).toEqual({ PipelineRawBucketName1A2B3C4D: 'raw' });
    expect(cfn.calls).toEqual([{ name: 'DescribeStacksCommand', input: { StackName: 'EtlStack' } }]);
  });
});

describe('arguments', () => {
  const file = writeOutputsFile({ EtlStack: OUTPUTS });
  // The DLQ outputs of the reference stack: the Kinesis source's and the batch workflow's.
  const pipeline = writeOutputsFile({
    EtlStack: {
      ...OUTPUTS,
      PipelineBatchWorkflowStateMachineArn5571F3EC: 'arn:aws:states:eu-west-1:1:stateMachine:batch',
      PipelineDlqUrl3EBA1153: 'https://sqs.eu-west-1.amazonaws.com/1/workflow-dlq',
      PipelineKinesisDlq1UrlCC911075: 'https://sqs.eu-west-1.amazonaws.com/1/kinesis-dlq',
    },
  });
  const run = async (...argv: string[]) => {
    const io = captureIo();
    const code = await main(argv, { io, clients: clientsOf({}) });
    return { code, out: io.lines.join('\n'), err: io.errors.join('\n') };
  };

  test.each([
    [['frobnicate', '--outputs', file], /unknown command "frobnicate"/],
    [['replay', '--outputs', file], /replay needs --from <iso> and --to <iso>/],
    [['replay', '--outputs', file, '--from', 'yesterday', '--to', '2026-01-01T00:00:00Z'], /--from must be an ISO 8601 time/],
    [['replay', '--outputs', file, '--from', '2026-01-02T00:00:00Z', '--to', '2026-01-01T00:00:00Z'], /--from .* must be before --to/],
    [['replay', '--outputs', file, '--from', '2026-01-01', '--to', '2026-01-02', '--source', 'kinesis'], /--source must be archive or raw/],
    [['redrive', '--outputs', file, '--rate', '0'], /--rate must be a positive number/],
    [['redrive', '--outputs', file, '--max', '2.5'], /--max must be a positive integer/],
    [['redrive', '--outputs', file, '--from', '2026-01-01'], /redrive does not take --from/],
    [['status', 'extra', '--outputs', file], /unexpected argument\(s\): extra/],
    [['status', '--bogus'], /Unknown option '--bogus'/],
    [['status'], /give the pipeline stack with --stack <name> or --outputs <file.json>/],
    [['pause', '--outputs', writeOutputsFile({ S: { X: 'y' } }), '--yes'], /no output BatchWorkflowPausedParameter/],
    [['redrive', '--outputs', file, '--queue', 'NoSuchDlq'], /no output named NoSuchDlq/],
    [['redrive', '--outputs', pipeline, '--queue', 'KinesisDlq1Url'], /PipelineKinesisDlq1UrlCC911075 holds Kinesis batch ranges, not records: use `redrive-stream --queue PipelineKinesisDlq1UrlCC911075`/],
    [['redrive', '--outputs', pipeline, '--queue', 'PipelineDlqUrl3EBA1153'], /PipelineDlqUrl3EBA1153 holds batch workflow runs, not records: use `restart`/],
    [['restart', '--outputs', file, '--to', 'BufferDlqUrl'], /restart does not take --to/],
    [['restart', '--outputs', file, '--rate', 'fast'], /--rate must be a positive number, got "fast"/],
    [['restart', '--outputs', file], /no output BatchWorkflowStateMachineArn \(needed to restart batch workflow runs\)/],
    [['restart', '--outputs', writeOutputsFile({ S: { PipelineBatchWorkflowStateMachineArn5571F3EC: 'arn:sm' } })], /no workflow DLQ output .*give the queue with --queue/],
    [['redrive-stream', '--outputs', file, '--force'], /redrive-stream does not take --force/],
    [['redrive-stream', '--outputs', file, '--max', '0'], /--max must be a positive integer/],
    [['redrive-stream', '--outputs', file], /no Kinesis DLQ output \(KinesisDlq<n>Url\); give the queue with --queue/],
  ])('%j → exit 2 with a clear message', async (argv, message) => {
    const r = await run(...argv);
    expect(r.err).toMatch(message);
    expect(r.code).toBe(2);
  });

  test('no arguments prints the usage on stderr (exit 2); --help on stdout (exit 0)', async () => {
    expect(await run()).toEqual(expect.objectContaining({ code: 2, err: expect.stringContaining('Usage: cdk-serverless-etl <command>') }));
    const help = await run('--help');
    expect(help.code).toBe(0);
    for (const usage of ['redrive [--queue', 'redrive-stream [--queue <KinesisDlqNUrl|url>] [--rate <records/s>] [--max <n>]', 'restart [--queue <output name|url>] [--rate <runs/s>] [--max <n>] [--force]', '4 done in part']) {
      expect(help.out).toContain(usage);
    }
  });
});

describe('confirmation', () => {
  test('without a terminal and without --yes the CLI refuses', async () => {
    await expect(confirm(captureIo(), false, 'do it')).rejects.toThrow(/refusing to do it without confirmation: not a terminal; pass --yes/);
    await expect(confirm(captureIo(), true, 'do it')).resolves.toBeUndefined();
  });

  test('on a terminal it asks; only y/yes confirms', async () => {
    const io = captureIo(['y', 'YES', 'n', '']);
    await confirm(io, false, 'do it');
    await confirm(io, false, 'do it');
    await expect(confirm(io, false, 'do it')).rejects.toEqual(expect.any(CliError));
    await expect(confirm(io, false, 'do it')).rejects.toThrow(/aborted: do it was not confirmed/);
    expect(io.questions).toEqual(Array(4).fill('do it? [y/N] '));
  });
});

describe('RateLimiter', () => {
  test('spaces actions by 1/rate from the one before (a late action is not caught up), and a batch of n takes n slots', async () => {
    let clock = 1_000_000;
    const now = jest.spyOn(Date, 'now').mockImplementation(() => clock);
    const sleeps: number[] = [];
    const limiter = new RateLimiter(10, async (ms) => {
      sleeps.push(ms);
      clock += ms;
    });
    try {
      await limiter.take(); // slot 0 at t=0
      clock += 250; // action 0 ran long: action 1 is late
      await limiter.take(); // due at 100 by the schedule: now (250)
      await limiter.take(); // by the schedule 200, but 100 ms after the one before: 350
      await limiter.take(5); // 5 at once: 500 ms after the one before (850), and after slot 7 (700)
      expect(sleeps).toEqual([100, 500]);
    } finally {
      now.mockRestore();
    }
  });
});
