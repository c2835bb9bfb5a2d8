import { UserError } from '../../runtime/errors.js';

/**
 * Words of an identifier: lower/upper boundaries, acronyms (`XMLParser` → xml, parser), digit runs
 * with a trailing unit in capitals kept whole (`Xlstm125M` → xlstm, 125m), underscores dropped.
 */
const WORD = /[A-Z]?[a-z]+|[0-9]+[A-Z]*(?![a-z])|[A-Z]+(?![a-z])|[0-9]+/g;

/** The file name of a model's generated module: `BenchSmall` → `bench-small`, `Xlstm125M` → `xlstm-125m`. */
export function kebabCase(name: string): string {
  return (name.match(WORD) ?? []).map((w) => w.toLowerCase()).join('-');
}

/**
 * Names the generated module declares or uses itself; a model named like one of them would shadow
 * it inside the module. Reserved words cannot name a class at all.
 */
const TAKEN = new Set([
  'config', 'parameters', 'kernels', 'XlstmModel', 'Map', 'Promise', 'Float32Array', 'Int32Array', 'Object', 'Array',
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'implements', 'interface', 'let',
  'package', 'private', 'protected', 'public', 'static', 'yield', 'await', 'arguments', 'eval', 'undefined', 'any',
  'boolean', 'number', 'string', 'symbol', 'never', 'object', 'unknown',
]);

/** The model's name as the generated class's name, refused when TypeScript would not accept it there. */
export function className(model: string): string {
  if (TAKEN.has(model)) throw new UserError(`model ${model}: its name cannot name the generated class (rename the model)`);
  return model;
}
