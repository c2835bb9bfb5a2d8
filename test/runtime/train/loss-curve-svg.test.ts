import { describe, expect, it } from 'vitest';
import { lossCurveSvg, niceTicks } from '../../../runtime/train/loss-curve-svg.js';
import { createRng } from '../../helpers/random.js';

interface XmlElement {
  name: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

/** A strict parser for the XML subset SVG files use (no DTD, CDATA or comments); throws when not well-formed. */
function parseXml(source: string): XmlElement {
  const checkText = (text: string) => {
    if (/[<]/.test(text) || /&/.test(text.replace(ENTITY, ''))) throw new Error(`unescaped markup in ${JSON.stringify(text)}`);
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"]*")*)\s*(\/?)>/y;
  let at = 0;
  while (at < source.length) {
    const lt = source.indexOf('<', at);
    const text = source.slice(at, lt < 0 ? source.length : lt);
    checkText(text);
    if (stack.length > 0) stack[stack.length - 1]!.text += text;
    else if (text.trim() !== '') throw new Error(`text outside the root: ${JSON.stringify(text)}`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(source);
    if (m === null) throw new Error(`malformed tag at ${lt}: ${source.slice(lt, lt + 40)}`);
    at = tag.lastIndex;
    const [, closing, name, attrText, selfClosing] = m;
    if (closing) {
      if (stack.pop()?.name !== name) throw new Error(`</${name}> does not close the open element`);
      continue;
    }
    const attributes = new Map<string, string>();
    for (const a of attrText!.matchAll(/([A-Za-z_][\w.:-]*)="([^"]*)"/g)) {
      if (attributes.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]}`);
      checkText(a[2]!);
      attributes.set(a[1]!, a[2]!);
    }
    const element: XmlElement = { name: name!, attributes, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
    else if (root === undefined) root = element;
    else throw new Error('a second root element');
    if (!selfClosing) stack.push(element);
  }
  if (root === undefined || stack.length > 0) throw new Error('unclosed elements');
  return root;
}

function all(e: XmlElement, name: string): XmlElement[] {
  return [...(e.name === name ? [e] : []), ...e.children.flatMap((c) => all(c, name))];
}

describe('loss-curve SVG', () => {
  it('is well-formed SVG with one polyline point per recorded loss, labelled axes and the model name', () => {
    const rng = createRng();
    const steps = 5 + rng.int(60);
    const train = Array.from({ length: steps }, (_, i) => [i + 1, 5 - i * 0.01 + 0.1 * rng.uniform()] as [number, number]);
    const val = train.filter(([s]) => s % 5 === 0).map(([s, l]) => [s, l + 0.2] as [number, number]);
    const svg = parseXml(lossCurveSvg('Tiny <char> & "co"', { train, val }));
    expect(svg.name).toBe('svg');
    expect(svg.attributes.get('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(all(svg, 'title')[0]!.text).toBe('Tiny &lt;char&gt; &amp; &quot;co&quot;');
    const lines = all(svg, 'polyline');
    const points = (cls: string) => lines.find((l) => l.attributes.get('class') === cls)!.attributes.get('points')!.split(' ');
    expect(points('train').length, `seed ${rng.seed}`).toBe(steps);
    expect(points('validation').length).toBe(val.length);
    for (const p of [...points('train'), ...points('validation')]) expect(p).toMatch(/^\d+(\.\d+)?,\d+(\.\d+)?$/);
    const texts = all(svg, 'text').map((t) => t.text);
    expect(texts).toEqual(expect.arrayContaining(['step', 'loss (nats per token)', 'train', 'validation']));
    expect(texts.filter((t) => /^\d+(\.\d+)?$/.test(t)).length).toBeGreaterThanOrEqual(6); // tick labels on both axes
  });

  it('puts larger losses higher and later steps further right', () => {
    const svg = parseXml(lossCurveSvg('M', { train: [[1, 3], [2, 1]], val: [] }));
    const [[x1, y1], [x2, y2]] = all(svg, 'polyline')[0]!.attributes.get('points')!.split(' ').map((p) => p.split(',').map(Number)) as [number[], number[]];
    expect(x2!).toBeGreaterThan(x1!);
    expect(y2!).toBeGreaterThan(y1!); // SVG y grows downwards
  });

  it('stays well-formed with a single point or no losses at all', () => {
    expect(all(parseXml(lossCurveSvg('M', { train: [[1, 2]], val: [] })), 'circle').length).toBe(1);
    expect(all(parseXml(lossCurveSvg('M', { train: [], val: [] })), 'polyline').length).toBe(0);
  });

  it('places ticks at round numbers covering the range', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(2.13, 2.61, 5)).toEqual([2.2, 2.3, 2.4, 2.5, 2.6]);
    expect(niceTicks(0, 3000, 8)).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000]);
  });
});
