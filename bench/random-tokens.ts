/** Token ids uniform in [0, vocab): what the bench feeds (speed does not depend on the text). */
export function randomTokens(vocab: number, count: number): Int32Array {
  return Int32Array.from({ length: count }, () => Math.floor(Math.random() * vocab));
}
