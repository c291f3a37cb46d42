import {
  ExecutionEnvironment,
  type InvokeOptions,
  type InvokeResult,
  type SandboxOptions,
} from '../sandbox/execution-environment';
import type { FunctionConfig } from '../sandbox/function-config';

/**
 * The execution environments of one function. Like Lambda, a request goes to an idle environment,
 * and a new one is started (cold) when every environment is busy, up to `maxEnvironments`
 * (the function's concurrency); past that, requests wait for the first environment to free up.
 */
export class FunctionPool {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly all: ExecutionEnvironment[] = [];
  private readonly waiting: Array<(env: ExecutionEnvironment) => void> = [];
  private creating = 0;
  private closed = false;

  constructor(
    readonly config: FunctionConfig,
    private readonly options: SandboxOptions,
    readonly maxEnvironments = 10,
  ) {}

  get size(): number {
    return this.all.length;
  }

  async invoke(payload: Buffer | string, options: InvokeOptions = {}): Promise<InvokeResult> {
    const env = await this.acquire();
    try {
      return await env.invoke(payload, options);
    } finally {
      this.release(env);
    }
  }

  /** Shuts every environment down through SHUTDOWN, so extensions flush; how many there were. */
  async close(): Promise<number> {
    this.closed = true;
    const count = this.all.length;
    await Promise.all(this.all.map((env) => env.close()));
    this.all.length = 0;
    this.idle.length = 0;
    return count;
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    if (this.closed) throw new Error(`${this.config.logicalId}: the local cloud is stopping`);
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.all.length + this.creating < this.maxEnvironments) {
      this.creating++;
      try {
        const env = await ExecutionEnvironment.create(this.config, this.options);
        this.all.push(env);
        return env;
      } finally {
        this.creating--;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(env: ExecutionEnvironment): void {
    const next = this.waiting.shift();
    if (next) next(env);
    else this.idle.push(env);
  }
}
