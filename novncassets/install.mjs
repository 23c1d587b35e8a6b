// Copies the pinned noVNC package (core/, vendor/, licence, package.json)
// from node_modules into dist/novnc/, where go:embed picks it up.
// npm runs it after `npm ci` (the postinstall script in package.json).
import { cpSync, existsSync, rmSync } from 'node:fs';

const src = new URL('./node_modules/@novnc/novnc/', import.meta.url);
const dst = new URL('./dist/novnc/', import.meta.url);

if (!existsSync(new URL('core/rfb.js', src))) {
    console.error('novncassets: node_modules/@novnc/novnc is missing; run `npm ci` here');
    process.exit(1);
}
rmSync(dst, { recursive: true, force: true });
for (const part of ['core', 'vendor', 'LICENSE.txt', 'AUTHORS', 'package.json']) {
    cpSync(new URL(part, src), new URL(part, dst), { recursive: true });
}
console.log('novncassets: noVNC copied into dist/novnc');
