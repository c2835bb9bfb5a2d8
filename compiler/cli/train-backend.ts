import { UserError } from '../../runtime/errors.js';
import type { TrainBackendFactory } from '../../runtime/train/backend.js';

export const TRAIN_BACKENDS = ['reference', 'webgpu'] as const;
export type TrainBackendName = (typeof TRAIN_BACKENDS)[number];

export interface ChosenBackend {
  name: TrainBackendName;
  factory: TrainBackendFactory;
  /** Frees what the choice acquired (the device), once the run is over or failed before using it. */
  release(): void;
}

/**
 * The one place that maps a backend name to its implementation (loaded only when used). Without
 * --backend: webgpu where a device can be acquired, else the reference with a note.
 */
export async function chooseBackend(name: TrainBackendName | undefined): Promise<ChosenBackend> {
  if (name !== 'reference') {
    const { acquireNodeDevice } = await import('../../runtime/device-node.js');
    try {
      const dev = await acquireNodeDevice();
      const { webGpuTrainBackendFactory } = await import('../../runtime/train/webgpu-backend.js');
      return { name: 'webgpu', factory: webGpuTrainBackendFactory(dev), release: () => dev.destroy() };
    } catch (e) {
      if (name === 'webgpu' || !(e instanceof UserError)) throw e;
      process.stderr.write(`xlstm: note: ${e.message}\nxlstm: note: training with --backend reference instead (exact float64 on the CPU, for small models)\n`);
    }
  }
  const { createReferenceTrainBackend } = await import('../../runtime/train/reference-backend.js');
  return { name: 'reference', factory: createReferenceTrainBackend, release: () => undefined };
}
