/**
 * The checker's public API. `checkSource`/`checkFile` read imports from disk (Node); code that
 * must run in a browser imports `check-source.js` directly and passes its own file reader.
 */
export { checkFile, checkSource } from './check-file-node.js';
export type { CheckResult } from './check-source.js';
export type { ReadFile } from './program.js';
export { ISSUES, type Issue } from './issues.js';
export { SCHEMA, ACTIVATION_TYPE, keyForOfficialName, scopesWithKey } from './schema.js';
export type { DefaultValue, KeySchema, NumberRange, ScopeName, ScopeSchema, SectionSchema, ValueType } from './schema.js';
export { ratioPlacement, ratioFits } from './placement.js';
