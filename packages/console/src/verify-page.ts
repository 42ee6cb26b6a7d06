// The standalone `/verify` page: a dropped (or chosen) bundle and trust store, verified in the page
// with `@lineage/protocol`. It makes no request: a saved copy works offline, from disk.
import { h, show } from './dom.js';
import { verifyInPage } from './verify/checks.js';
import { verificationPanel } from './verify/panel.js';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Parsed JSON, or a failure the page shows (dropped files are attacker-controlled). */
async function readJson(file: File): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: JSON.parse(await file.text()) as unknown };
  } catch {
    return { ok: false };
  }
}

// A dropped file that holds `keys` and `version` but no `mediaType` is a trust store.
async function sortDropped(files: FileList): Promise<void> {
  for (const file of Array.from(files)) {
    const read = await readJson(file);
    const isTrust =
      read.ok &&
      typeof read.value === 'object' &&
      read.value !== null &&
      !('mediaType' in read.value) &&
      'keys' in read.value;
    const input = byId<HTMLInputElement>(isTrust ? 'trust-file' : 'bundle-file');
    const list = new DataTransfer();
    list.items.add(file);
    input.files = list.files;
  }
}

async function verify(): Promise<void> {
  const result = byId('result');
  const bundleFile = byId<HTMLInputElement>('bundle-file').files?.[0];
  const trustFile = byId<HTMLInputElement>('trust-file').files?.[0];
  if (bundleFile === undefined) {
    show(result, h('p', { class: 'error' }, 'Choose or drop an evidence bundle first.'));
    return;
  }
  const bundle = await readJson(bundleFile);
  const trust = trustFile === undefined ? undefined : await readJson(trustFile);
  if (!bundle.ok || (trust !== undefined && !trust.ok)) {
    show(
      result,
      h(
        'p',
        { class: 'verdict', 'data-valid': 'false', 'data-code': 'NOT_JSON' },
        'Invalid: NOT_JSON',
      ),
    );
    return;
  }
  show(result, verificationPanel(verifyInPage(bundle.value, trust?.ok ? trust.value : undefined)));
}

function start(): void {
  const drop = byId('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer?.files) void sortDropped(e.dataTransfer.files).then(verify);
  });
  byId('verify').addEventListener('click', () => void verify());
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
