import { acquireNodeDevice } from './device-node.js';
import { readWeightsFileF32 } from './io/checkpoint-node.js';
import { writeSafetensorsFile } from './io/safetensors-node.js';
import type { ModelHost } from './model-host.js';

/** Node: a device through npm `webgpu` (native backend, else Mesa's llvmpipe), checkpoints as files. */
export const nodeHost: ModelHost = {
  acquireDevice: (mode) => acquireNodeDevice({ mode }),
  readWeights: (spec, path) => readWeightsFileF32(spec, path),
  writeWeights: (path, tensors, metadata) => writeSafetensorsFile(path, tensors, metadata),
};
