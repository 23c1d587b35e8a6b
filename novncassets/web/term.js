// Horcrux text console page: a VM's serial console or a shell in a
// container, drawn by xterm.js. The WebSocket carries the terminal's bytes
// as binary messages both ways; the page's only text message is a resize.
// On connect the server first sends what the console printed before (the
// output Horcrux kept, and the guest's console log).
import { $, api, closeText, kib, noTicket, sentence, setStatus, showMessage, takeTicket, toggleFullscreen, wsURL } from './page.js';
import { Terminal } from './xterm/lib/xterm.mjs';
import { FitAddon } from './xterm-fit/lib/addon-fit.mjs';

const ui = {
    status: $('status'),
    statusText: $('status-text'),
    name: $('vm-name'),
    device: $('device'),
    stats: $('stats'),
    term: $('term'),
    busy: $('busy'),
    takeover: $('btn-takeover'),
    copy: $('btn-copy'),
    paste: $('btn-paste'),
    clear: $('btn-clear'),
    full: $('btn-full'),
    disconnect: $('btn-disconnect'),
    reconnect: $('btn-reconnect'),
};

// closeBusy is the server's close code for a console another client holds (console.CloseBusy).
const closeBusy = 4001;

const state = {
    name: '',
    kind: '',
    secret: '', // never leaves memory except in the X-Horcrux-Page header
    ws: null,
    userClosed: false,
    lastSample: null,
};

const encoder = new TextEncoder();
const term = new Terminal({ scrollback: 10000, convertEol: false, cursorBlink: true, fontSize: 14 });
const fit = new FitAddon();
term.loadAddon(fit);

function status(kind, text) {
    setStatus(ui.status, ui.statusText, kind, text);
    document.body.dataset.state = kind;
    const connected = kind === 'connected';
    ui.copy.disabled = !connected;
    ui.paste.disabled = !connected;
    ui.disconnect.disabled = !connected;
    ui.reconnect.disabled = !(kind === 'disconnected' && state.secret);
}

function send(data) {
    if (state.ws?.readyState === WebSocket.OPEN) {
        state.ws.send(typeof data === 'string' ? encoder.encode(data) : data);
    }
}

function sendSize() {
    document.body.dataset.size = `${term.cols}x${term.rows}`;
    if (state.ws?.readyState === WebSocket.OPEN) {
        state.ws.send(JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }));
    }
}

function connect(path) {
    state.ws?.close();
    state.userClosed = false;
    ui.busy.hidden = true;
    showMessage('');
    status('connecting', 'Connecting…');
    const ws = new WebSocket(wsURL(path));
    ws.binaryType = 'arraybuffer';
    state.ws = ws;
    ws.addEventListener('open', () => {
        if (state.ws !== ws) {
            return;
        }
        status('connected', 'Connected');
        sendSize();
        term.focus();
    });
    ws.addEventListener('message', (e) => {
        if (state.ws === ws && e.data instanceof ArrayBuffer) {
            term.write(new Uint8Array(e.data));
        }
    });
    ws.addEventListener('close', (e) => {
        if (state.ws !== ws) {
            return;
        }
        const why = state.userClosed ? 'you disconnected' : closeText(e.code, e.reason);
        status('disconnected', 'Disconnected');
        showMessage(sentence(why));
        ui.busy.hidden = e.code !== closeBusy;
        document.body.dataset.closeCode = String(e.code);
    });
}

// reconnect asks for a fresh WebSocket ticket with the page secret; force takes the console over.
async function reconnect(force = false) {
    ui.reconnect.disabled = true;
    status('connecting', force ? 'Taking over…' : 'Reconnecting…');
    try {
        const res = await api('/console/api/ticket', { cols: term.cols, rows: term.rows, force }, state.secret);
        connect(res.ws);
    } catch (err) {
        status('disconnected', 'Cannot reconnect');
        showMessage(sentence(err.message));
    }
}

// pollStats shows the proxy's byte rates; the call also tells the server this page is still open.
async function pollStats() {
    let s;
    try {
        s = await api('/console/api/stats', {}, state.secret);
    } catch {
        ui.stats.textContent = '';
        return;
    }
    const now = performance.now();
    const prev = state.lastSample;
    state.lastSample = { at: now, session: s.session, fromVM: s.fromVM, toVM: s.toVM };
    if (!s.open || !prev || prev.session !== s.session) {
        ui.stats.textContent = '';
        return;
    }
    const secs = (now - prev.at) / 1000;
    if (secs > 0) {
        ui.stats.textContent = `in ${kib(s.fromVM - prev.fromVM, secs)} KiB/s · out ${kib(s.toVM - prev.toVM, secs)} KiB/s`;
    }
}

async function copySelection() {
    const text = term.getSelection();
    if (text) {
        await navigator.clipboard.writeText(text).catch(() => showMessage('The browser refused the clipboard; select and press Ctrl+Shift+C.'));
    }
    term.focus();
}

async function pasteClipboard() {
    try {
        term.paste(await navigator.clipboard.readText());
    } catch {
        showMessage('The browser refused to read the clipboard; press Ctrl+Shift+V in the terminal instead.');
    }
    term.focus();
}

function wire() {
    term.open(ui.term);
    fit.fit();
    term.onData((d) => send(d));
    term.onBinary((d) => send(Uint8Array.from(d, (c) => c.charCodeAt(0))));
    term.onResize(() => sendSize());
    term.attachCustomKeyEventHandler((e) => {
        // Ctrl+Shift+C/V copy and paste, as in desktop terminals; plain Ctrl+C goes to the console.
        if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && (e.code === 'KeyC' || e.code === 'KeyV')) {
            if (e.code === 'KeyC') {
                copySelection();
            } else {
                pasteClipboard();
            }
            e.preventDefault();
            return false;
        }
        return true;
    });
    new ResizeObserver(() => fit.fit()).observe(ui.term);
    ui.copy.addEventListener('click', copySelection);
    ui.paste.addEventListener('click', pasteClipboard);
    ui.clear.addEventListener('click', () => {
        term.clear();
        term.focus();
    });
    ui.full.addEventListener('click', toggleFullscreen);
    ui.disconnect.addEventListener('click', () => {
        state.userClosed = true;
        state.ws?.close(1000, 'the user disconnected');
    });
    ui.reconnect.addEventListener('click', () => reconnect(false));
    ui.takeover.addEventListener('click', () => {
        if (confirm(`Take over the ${state.kind} of ${state.name}? The other client is disconnected.`)) {
            reconnect(true);
        }
    });
}

async function main() {
    wire();
    const ticket = takeTicket();
    if (!ticket) {
        status('error', 'No console');
        showMessage(noTicket);
        return;
    }
    let opened;
    try {
        opened = await api('/console/api/open', { ticket, cols: term.cols, rows: term.rows });
    } catch (err) {
        status('error', 'No console');
        showMessage(sentence(err.message));
        return;
    }
    state.name = opened.vm;
    state.kind = opened.title;
    state.secret = opened.page;
    document.title = `${opened.vm} (${opened.title}) — Horcrux`;
    ui.name.textContent = opened.vm;
    ui.device.textContent = opened.device ? `${opened.title}: ${opened.device}` : opened.title;
    connect(opened.ws);
    setInterval(pollStats, 1000);
}

main();
