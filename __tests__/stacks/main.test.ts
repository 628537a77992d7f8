/** `main.ts` as `cdktf synth` runs it: a configuration error stops synth with a message naming the setting. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

it('stops with exit code 1 and a message naming the missing environment, writing nothing', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysfits-main-'));
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, MYSFITS_ENVS: 'dev,staging', CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^config\/staging: no configuration file .*staging\.json$/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(outdir, 'stacks'))).toBe(false);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
