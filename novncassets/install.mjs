// Copies the pinned console libraries from node_modules into dist/, where
// go:embed picks them up: noVNC (VNC), xterm.js and its fit addon (serial
// consoles and container shells), spice-html5 (SPICE).
// npm runs it after `npm ci` (the postinstall script in package.json).
import { cpSync, existsSync, rmSync } from 'node:fs';

const libs = {
    novnc: ['@novnc/novnc', ['core', 'vendor', 'LICENSE.txt', 'AUTHORS', 'package.json']],
    xterm: ['@xterm/xterm', ['lib/xterm.mjs', 'css/xterm.css', 'LICENSE', 'package.json']],
    'xterm-fit': ['@xterm/addon-fit', ['lib/addon-fit.mjs', 'LICENSE', 'package.json']],
    spice: ['@spice-project/spice-html5', ['src', 'COPYING.LESSER', 'package.json']],
};

for (const [dir, [pkg, parts]] of Object.entries(libs)) {
    const src = new URL(`./node_modules/${pkg}/`, import.meta.url);
    const dst = new URL(`./dist/${dir}/`, import.meta.url);
    if (!existsSync(new URL('package.json', src))) {
        console.error(`novncassets: node_modules/${pkg} is missing; run \`npm ci\` here`);
        process.exit(1);
    }
    rmSync(dst, { recursive: true, force: true });
    for (const part of parts) {
        // spice-html5's loader for browsers without ES modules is 1.8 MB and unused here.
        cpSync(new URL(part, src), new URL(part, dst), {
            recursive: true,
            filter: (p) => !p.includes('browser-es-module-loader'),
        });
    }
}
console.log('novncassets: noVNC, xterm.js and spice-html5 copied into dist/');
