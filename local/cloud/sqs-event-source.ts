import type { FunctionPool } from './function-pool';
import type { SqsService } from './sqs/sqs-service';

/**
 * A Lambda event source mapping from an SQS queue: polls, invokes the function with a batch, and
 * settles it — with `ReportBatchItemFailures`, only the reported items are retried; otherwise a
 * function error retries the whole batch (the queue's redrive policy moves poison to the DLQ).
 */
export interface SqsMapping {
  queueArn: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

export class SqsEventSource {
  private stopped = false;
  private loop?: Promise<void>;
  invocations = 0;

  constructor(
    private readonly sqs: SqsService,
    private readonly fn: FunctionPool,
    readonly mapping: SqsMapping,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  start(): void {
    if (!this.mapping.enabled) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        // Long polls of one second keep the loop responsive to stop().
        const records = await this.sqs.poll(this.mapping.queueArn, {
          batchSize: this.mapping.batchSize,
          waitTimeSeconds: 1,
        });
        if (records.length === 0 || this.stopped) continue;
        this.invocations++;
        const result = await this.fn.invoke(JSON.stringify({ Records: records }));
        this.sqs.settle(this.mapping.queueArn, records, this.outcome(result.errorType, result.payload));
      } catch (e) {
        this.onError(`${this.fn.config.logicalId} ← ${this.mapping.queueArn}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private outcome(errorType: string | undefined, payload: Buffer): Parameters<SqsService['settle']>[2] {
    if (errorType) return 'all-failed';
    if (!this.mapping.reportBatchItemFailures) return 'all-succeeded';
    try {
      const response = JSON.parse(payload.toString('utf8')) as {
        batchItemFailures?: { itemIdentifier: string }[];
      } | null;
      return response?.batchItemFailures ?? 'all-succeeded';
    } catch {
      return 'all-succeeded';
    }
  }
}
