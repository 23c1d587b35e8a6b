// Horcrux VM console page (VNC, drawn by noVNC). See page.js for how the
// page redeems its one-time link; Reconnect and the statistics use the
// page secret it gets in exchange.
import { $, api, closeText, kib, noTicket, showMessage, takeTicket, toggleFullscreen, wsURL } from './page.js';

// noVNC loads (index.html preloads its modules) while the ticket is being redeemed.
const noVNC = Promise.all([
    import('./novnc/core/rfb.js'),
    import('./novnc/core/input/keysym.js'),
    import('./novnc/core/input/keysymdef.js'),
]);
let RFB, KeyTable, keysyms;

const ui = {
    status: $('status'),
    statusText: $('status-text'),
    vmName: $('vm-name'),
    stats: $('stats'),
    screen: $('screen'),
    cad: $('btn-cad'),
    keys: $('sel-keys'),
    scale: $('btn-scale'),
    viewOnly: $('chk-viewonly'),
    clipboard: $('btn-clipboard'),
    clipPanel: $('clip-panel'),
    clipFromVM: $('clip-from-vm'),
    clipToVM: $('clip-to-vm'),
    copy: $('btn-copy'),
    paste: $('btn-paste'),
    type: $('btn-type'),
    shot: $('btn-shot'),
    full: $('btn-full'),
    disconnect: $('btn-disconnect'),
    reconnect: $('btn-reconnect'),
    credForm: $('cred-form'),
    credUserLabel: $('cred-user-label'),
    credUser: $('cred-user'),
    credPassword: $('cred-password'),
};

// Typing pasted text is bounded so a huge paste cannot wedge the page.
const maxTypedChars = 10000;

const state = {
    vm: '',
    pageSecret: '', // never leaves memory except in the X-Horcrux-Page header
    rfb: null,
    ws: null,
    closeInfo: null, // the WebSocket close code and reason, which noVNC does not pass on
    failure: '',     // a security failure noVNC reported before disconnecting
    userClosed: false,
    frames: 0,       // framebuffer updates noVNC finished, for frames/s
    firstFrameAt: 0,
    frameHook: false,
    fit: true,
    lastSample: null,
};

function setStatus(kind, text) {
    ui.status.dataset.state = kind;
    ui.statusText.textContent = text;
    const connected = kind === 'connected';
    for (const el of [ui.cad, ui.keys, ui.shot, ui.paste, ui.type, ui.disconnect]) {
        el.disabled = !connected;
    }
    ui.reconnect.disabled = !(kind === 'disconnected' && state.pageSecret);
}

const pageAPI = (path) => api(path, {}, state.pageSecret);

function describeClose() {
    if (state.userClosed) {
        return 'you disconnected';
    }
    if (state.failure) {
        return state.failure;
    }
    const c = state.closeInfo;
    if (!c) {
        return 'the connection ended';
    }
    return closeText(c.code, c.reason);
}

// countFrames hooks noVNC 1.7's private per-update method; the pinned version keeps it stable, and frames/s shows "n/a" if it is gone.
function countFrames(rfb) {
    const orig = rfb._framebufferUpdate;
    if (typeof orig !== 'function') {
        return false;
    }
    rfb._framebufferUpdate = function (...args) {
        const done = orig.apply(this, args);
        if (done) {
            state.frames++;
            if (!state.firstFrameAt) {
                state.firstFrameAt = performance.now();
                document.body.dataset.firstFrame = state.firstFrameAt.toFixed(1);
            }
            document.body.dataset.frames = String(state.frames);
        }
        return done;
    };
    return true;
}

function connect(path) {
    if (state.rfb) {
        state.rfb.disconnect();
        state.rfb = null;
    }
    ui.screen.replaceChildren();
    state.closeInfo = null;
    state.failure = '';
    state.userClosed = false;
    ui.credForm.hidden = true;
    showMessage('');
    setStatus('connecting', 'Connecting…');

    // Our own WebSocket, handed to noVNC, so the page can read the close reason.
    const ws = new WebSocket(wsURL(path));
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('close', (e) => {
        if (state.ws === ws) {
            state.closeInfo = { code: e.code, reason: e.reason };
        }
    });
    state.ws = ws;

    const rfb = new RFB(ui.screen, ws, { shared: true });
    state.rfb = rfb;
    state.frameHook = countFrames(rfb);
    rfb.scaleViewport = state.fit;
    rfb.viewOnly = ui.viewOnly.checked;
    rfb.addEventListener('connect', () => {
        setStatus('connected', 'Connected');
        ui.credForm.hidden = true;
        rfb.focus();
    });
    rfb.addEventListener('disconnect', () => {
        if (state.rfb !== rfb) {
            return;
        }
        setStatus('disconnected', `Disconnected: ${describeClose()}`);
        ui.credForm.hidden = true;
    });
    rfb.addEventListener('securityfailure', (e) => {
        const why = e.detail.reason || 'the VNC server refused the credentials';
        state.failure = `authentication failed: ${why}`;
    });
    rfb.addEventListener('credentialsrequired', (e) => {
        const types = e.detail.types || ['password'];
        const wantUser = types.includes('username');
        ui.credUser.hidden = !wantUser;
        ui.credUserLabel.hidden = !wantUser;
        ui.credForm.hidden = false;
        setStatus('connecting', 'The VM asks for its VNC password');
        (wantUser ? ui.credUser : ui.credPassword).focus();
    });
    rfb.addEventListener('clipboard', (e) => {
        ui.clipFromVM.value = e.detail.text;
    });
    rfb.addEventListener('desktopname', (e) => {
        if (e.detail.name) {
            ui.vmName.title = `VNC desktop: ${e.detail.name}`;
        }
    });
}

// sendCombo presses Ctrl+Alt+key and releases them in reverse order.
function sendCombo(keysym, code) {
    const rfb = state.rfb;
    if (!rfb) {
        return;
    }
    rfb.sendKey(KeyTable.XK_Control_L, 'ControlLeft', true);
    rfb.sendKey(KeyTable.XK_Alt_L, 'AltLeft', true);
    rfb.sendKey(keysym, code, true);
    rfb.sendKey(keysym, code, false);
    rfb.sendKey(KeyTable.XK_Alt_L, 'AltLeft', false);
    rfb.sendKey(KeyTable.XK_Control_L, 'ControlLeft', false);
    rfb.focus();
}

function comboFor(value) {
    if (value === 'ctrl-alt-backspace') {
        return [KeyTable.XK_BackSpace, 'Backspace'];
    }
    const m = /^ctrl-alt-f([1-9]|1[0-2])$/.exec(value);
    if (m) {
        const n = Number(m[1]);
        return [KeyTable.XK_F1 + n - 1, `F${n}`];
    }
    return null;
}

function typeText(text) {
    const rfb = state.rfb;
    if (!rfb) {
        return;
    }
    let count = 0;
    for (const ch of text) {
        if (++count > maxTypedChars) {
            showMessage(`Typed the first ${maxTypedChars} characters only.`);
            break;
        }
        let keysym;
        if (ch === '\n') {
            keysym = KeyTable.XK_Return;
        } else if (ch === '\t') {
            keysym = KeyTable.XK_Tab;
        } else if (ch === '\r') {
            continue;
        } else {
            keysym = keysyms.lookup(ch.codePointAt(0));
        }
        rfb.sendKey(keysym, null);
    }
    rfb.focus();
}

function screenshot() {
    const rfb = state.rfb;
    if (!rfb) {
        return;
    }
    rfb.toBlob((blob) => {
        if (!blob) {
            showMessage('The screenshot could not be made.');
            return;
        }
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = `${state.vm || 'console'}-${stamp}.png`.replace(/[\\/]/g, '_');
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    }, 'image/png');
}

async function copyFromVM() {
    const text = ui.clipFromVM.value;
    try {
        await navigator.clipboard.writeText(text);
    } catch {
        ui.clipFromVM.select();
        document.execCommand('copy');
    }
}

async function reconnect() {
    ui.reconnect.disabled = true;
    setStatus('connecting', 'Reconnecting…');
    try {
        const res = await pageAPI('/console/api/ticket');
        connect(res.ws);
    } catch (err) {
        setStatus('disconnected', 'Cannot reconnect');
        showMessage(err.message);
        ui.reconnect.disabled = false;
    }
}

// pollStats shows frames/s and the proxy's byte rates; the call also tells the server this page is still open.
async function pollStats() {
    if (!state.pageSecret) {
        return;
    }
    let s;
    try {
        s = await pageAPI('/console/api/stats');
    } catch {
        ui.stats.textContent = '';
        return;
    }
    const now = performance.now();
    const prev = state.lastSample;
    state.lastSample = { at: now, frames: state.frames, session: s.session, fromVM: s.fromVM, toVM: s.toVM };
    if (!s.open || !prev || prev.session !== s.session) {
        ui.stats.textContent = '';
        return;
    }
    const secs = (now - prev.at) / 1000;
    if (secs <= 0) {
        return;
    }
    const fps = state.frameHook ? ((state.frames - prev.frames) / secs).toFixed(1) : 'n/a';
    ui.stats.textContent = `${fps} frames/s · in ${kib(s.fromVM - prev.fromVM, secs)} KiB/s · out ${kib(s.toVM - prev.toVM, secs)} KiB/s`;
}

function wire() {
    ui.cad.addEventListener('click', () => {
        state.rfb?.sendCtrlAltDel();
        state.rfb?.focus();
    });
    ui.keys.addEventListener('change', () => {
        const combo = comboFor(ui.keys.value);
        ui.keys.value = '';
        if (combo) {
            sendCombo(...combo);
        }
    });
    ui.scale.addEventListener('click', () => {
        state.fit = !state.fit;
        ui.scale.textContent = state.fit ? 'Scale: fit' : 'Scale: 1:1';
        ui.scale.setAttribute('aria-pressed', String(state.fit));
        ui.screen.style.overflow = state.fit ? 'hidden' : 'auto';
        if (state.rfb) {
            state.rfb.scaleViewport = state.fit;
        }
    });
    ui.viewOnly.addEventListener('change', () => {
        if (state.rfb) {
            state.rfb.viewOnly = ui.viewOnly.checked;
        }
    });
    ui.clipboard.addEventListener('click', () => {
        ui.clipPanel.hidden = !ui.clipPanel.hidden;
        ui.clipboard.setAttribute('aria-expanded', String(!ui.clipPanel.hidden));
    });
    ui.copy.addEventListener('click', copyFromVM);
    ui.paste.addEventListener('click', () => {
        state.rfb?.clipboardPasteFrom(ui.clipToVM.value);
    });
    ui.type.addEventListener('click', () => typeText(ui.clipToVM.value));
    ui.shot.addEventListener('click', screenshot);
    ui.full.addEventListener('click', toggleFullscreen);
    ui.disconnect.addEventListener('click', () => {
        state.userClosed = true;
        state.rfb?.disconnect();
    });
    ui.reconnect.addEventListener('click', reconnect);
    ui.credForm.addEventListener('submit', (e) => {
        e.preventDefault();
        const creds = { password: ui.credPassword.value };
        if (!ui.credUser.hidden) {
            creds.username = ui.credUser.value;
        }
        ui.credPassword.value = '';
        ui.credForm.hidden = true;
        setStatus('connecting', 'Checking the password…');
        state.rfb?.sendCredentials(creds);
    });
}

async function main() {
    wire();
    const ticket = takeTicket();
    if (!ticket) {
        setStatus('error', 'No console');
        showMessage(noTicket);
        return;
    }
    const loaded = noVNC.then(([rfb, keysym, keysymdef]) => {
        RFB = rfb.default;
        KeyTable = keysym.default;
        keysyms = keysymdef.default;
    });
    let opened;
    try {
        opened = await api('/console/api/open', { ticket });
    } catch (err) {
        setStatus('error', 'No console');
        showMessage(err.message.charAt(0).toUpperCase() + err.message.slice(1) + '.');
        return;
    }
    try {
        await loaded;
    } catch (err) {
        setStatus('error', 'No console');
        showMessage(`The console page could not load noVNC (${err.message}); rebuild Horcrux after make novnc.`);
        return;
    }
    state.vm = opened.vm;
    state.pageSecret = opened.page;
    document.title = `${opened.vm} — Horcrux console`;
    ui.vmName.textContent = opened.vm;
    connect(opened.ws);
    setInterval(pollStats, 1000);
}

main();
