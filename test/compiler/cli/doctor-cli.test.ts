import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, ROOT } from './spawn-xlstm.js';

function doctor(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'xlstm.js'), 'doctor', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => requireBuilt('doctor'));

describe('xlstm doctor', () => {
  it('describes the adapter, backend, features, loop cap and limits', () => {
    const r = doctor({});
    expect(r.status, r.stderr).toBe(0);
    const field = (name: string): string => new RegExp(`^${name} +(.*)$`, 'm').exec(r.stdout)?.[1] ?? '';
    expect(field('backend')).toMatch(/^(vulkan|metal|d3d12|opengles|opengl)$/);
    expect(field('feature level')).toMatch(/^(core|compatibility)$/);
    expect(field('loop cap')).toMatch(/^(\d+ loop iterations per invocation|none found)/);
    expect(field('probe time')).toMatch(/^\d+\.\d ms$/);
    expect(r.stdout).toMatch(/^ {2}maxStorageBuffersPerShaderStage +\d+$/m);
    expect(r.stdout).toMatch(/^ {2}maxComputeWorkgroupsPerDimension +\d+$/m);
  });

  it('exits 1 with one line saying what to install when no adapter can be had', () => {
    // An EGL platform Mesa does not know makes the CPU fallback fail the way a missing libEGL would.
    const r = doctor({ EGL_PLATFORM: 'no-such-platform' }, '--device', 'cpu-gl');
    expect(r.status).toBe(1);
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('xlstm:'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^xlstm: no WebGPU adapter \(opengles: no adapter; opengl: no adapter\)\. /);
    expect(ours[0]).toContain('apt install libegl1 libegl-mesa0 libgl1-mesa-dri');
    expect(ours[0]).toContain("EGL_PLATFORM is set to 'no-such-platform'");
    expect(r.stderr).not.toMatch(/^\s+at .*\.[jt]s:\d+/m); // no JavaScript stack trace (Dawn's own warnings name .cpp files)
    expect(r.stdout).toBe('');
  });

  it('refuses an unknown device mode as a usage error', () => {
    const r = doctor({}, '--device', 'gpu');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Allowed choices are auto, native, cpu-gl');
  });
});
