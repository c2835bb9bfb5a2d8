/** A WebGPU failure (validation, out of memory, device loss), named after the work that caused it. */
export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

/**
 * Tracks what the device is doing (the executor labels each kernel as it goes) and the first
 * asynchronous failure: an uncaptured error or the loss of the device. WebGPU reports those through
 * events, away from the call that caused them; the executor calls `check()` before and after each
 * step so they surface as thrown `GpuError`s naming the kernel instead of as console noise.
 */
export class DeviceMonitor {
  /** What the device is doing now, e.g. `kernel linear_1024x512x128 (char-lm.xlstm:12:3)`. */
  activity = 'idle';
  private failure: GpuError | undefined;
  private lostReason: string | undefined;

  /** Records an error reported away from its call; the first one is kept. */
  fail(kind: string, message: string, during = this.activity): void {
    this.failure ??= new GpuError(`WebGPU ${kind} during ${during}: ${message.trim()}`);
  }

  markLost(reason: string, message: string): void {
    this.lostReason = reason;
    if (reason === 'destroyed') this.failure ??= new GpuError('the WebGPU device was destroyed; acquire a new one');
    else this.fail('device loss', `${message || 'no message'} (reason: ${reason})`);
  }

  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  /** Throws the recorded failure, if any. */
  check(): void {
    if (this.failure) throw this.failure;
  }
}
