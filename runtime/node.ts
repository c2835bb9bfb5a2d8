/**
 * The runtime's Node entry (`xlstm-dsl/runtime/node`): everything of the browser-safe entry, plus
 * the Node host (a device through npm `webgpu`, falling back to Mesa's llvmpipe where there is no
 * GPU; checkpoints read and written as files) that generated modules for Node pass to their model.
 */
export * from './index.js';
export { nodeHost } from './model-host-node.js';
export { acquireNodeDevice, type NodeDeviceMode, type NodeDeviceOptions } from './device-node.js';
