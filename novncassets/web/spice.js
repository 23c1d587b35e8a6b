// Horcrux SPICE console page, drawn by spice-html5. SPICE opens one
// WebSocket per channel (main, display, inputs, cursor...), each of which
// Horcrux proxies as its own connection to the VM's SPICE server. Every
// WebSocket needs its own one-time ticket: the page asks for a pool with
// its page secret, and hands one to each socket spice-html5 opens.
import { $, api, closeText, kib, noTicket, sentence, setStatus, showMessage, takeTicket, toggleFullscreen, wsURL } from './page.js';

const ui = {
    status: $('status'),
    statusText: $('status-text'),
    name: $('vm-name'),
    stats: $('stats'),
    cad: $('btn-cad'),
    limitsButton: $('btn-limits'),
    limits: $('limits'),
    vv: $('vv'),
    vvNote: $('vv-note'),
    full: $('btn-full'),
    disconnect: $('btn-disconnect'),
    reconnect: $('btn-reconnect'),
};

// channelTickets is how many channels beyond main a page can open (the server's maxChannels).
const channelTickets = 8;

const state = {
    name: '',
    secret: '',
    sc: null,       // the SpiceMainConn
    mainURL: '',
    pool: [],       // WebSocket paths for the channels spice-html5 opens after main
    closeInfo: null, // how the main channel's socket closed: spice-html5 does not pass the reason on
    userClosed: false,
    lastSample: null,
};

// spice-html5 opens every channel with new WebSocket(main's URL); each gets a ticket of the pool instead.
const NativeWebSocket = window.WebSocket;
class ChannelSocket extends NativeWebSocket {
    constructor(url, protocols) {
        const main = url === state.mainURL && !state.mainTaken;
        if (main) {
            state.mainTaken = true;
        } else if (url === state.mainURL && state.pool.length > 0) {
            url = wsURL(state.pool.shift());
        }
        super(url, protocols);
        if (main) {
            this.addEventListener('close', (e) => {
                state.closeInfo = { code: e.code, reason: e.reason };
            });
        }
    }
}
window.WebSocket = ChannelSocket;

function status(kind, text) {
    setStatus(ui.status, ui.statusText, kind, text);
    document.body.dataset.state = kind;
    ui.cad.disabled = kind !== 'connected';
    ui.disconnect.disabled = kind !== 'connected';
    ui.reconnect.disabled = !(kind === 'disconnected' && state.secret);
}

let Spice;

function stop() {
    const sc = state.sc;
    state.sc = null;
    try {
        sc?.stop();
    } catch {
        // a connection that never opened has nothing to stop
    }
}

// connect asks for a main ticket and a pool for the other channels, then starts spice-html5.
async function connect() {
    stop();
    state.userClosed = false;
    state.closeInfo = null;
    showMessage('');
    status('connecting', 'Connecting…');
    let res;
    try {
        res = await api('/console/api/ticket', { channels: channelTickets }, state.secret);
    } catch (err) {
        status('disconnected', 'Cannot connect');
        showMessage(sentence(err.message));
        return;
    }
    $('spice-screen').replaceChildren();
    state.mainURL = wsURL(res.ws);
    state.mainTaken = false;
    state.pool = res.channels ?? [];
    const sc = new Spice.SpiceMainConn({
        uri: state.mainURL,
        screen_id: 'spice-screen',
        message_id: 'spice-log',
        password: '',
        // Connected means keys reach the guest: spice-html5 drops input until its inputs channel is ready.
        onsuccess: () => whenInputsReady(sc),
        onerror: (e) => {
            if (state.sc !== sc) {
                return;
            }
            // Our server's close reason says more than spice-html5's guess.
            const why = state.userClosed ? 'you disconnected'
                : state.closeInfo ? closeText(state.closeInfo.code, state.closeInfo.reason)
                    : (e?.message || 'the SPICE connection failed');
            stop();
            status('disconnected', 'Disconnected');
            showMessage(sentence(why));
        },
    });
    state.sc = sc;
}

// whenInputsReady shows Connected once the inputs channel, opened after main, can take keys.
function whenInputsReady(sc) {
    if (state.sc !== sc) {
        return;
    }
    if (sc.inputs?.state === 'ready') {
        status('connected', 'Connected');
        return;
    }
    status('connecting', 'Opening the keyboard and mouse channel…');
    setTimeout(() => whenInputsReady(sc), 50);
}

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
    state.lastSample = { at: now, fromVM: s.fromVM, toVM: s.toVM };
    document.body.dataset.channels = String(s.sessions);
    if (!s.open || !prev) {
        ui.stats.textContent = '';
        return;
    }
    const secs = (now - prev.at) / 1000;
    if (secs > 0 && s.fromVM >= prev.fromVM) {
        ui.stats.textContent = `${s.sessions} channels · in ${kib(s.fromVM - prev.fromVM, secs)} KiB/s · out ${kib(s.toVM - prev.toVM, secs)} KiB/s`;
    }
}

// loadVV fetches the remote-viewer file for this VM once the panel opens.
async function loadVV() {
    try {
        const res = await api('/console/api/vv', {}, state.secret);
        ui.vv.href = URL.createObjectURL(new Blob([res.vv], { type: 'application/x-virt-viewer' }));
        ui.vv.download = `${state.name}.vv`;
        ui.vvNote.hidden = true;
    } catch (err) {
        ui.vv.removeAttribute('href');
        ui.vvNote.textContent = `No .vv file: ${err.message}.`;
        ui.vvNote.hidden = false;
    }
}

function wire() {
    ui.cad.addEventListener('click', () => Spice.sendCtrlAltDel(state.sc));
    ui.limitsButton.addEventListener('click', () => {
        ui.limits.hidden = !ui.limits.hidden;
        ui.limitsButton.setAttribute('aria-expanded', String(!ui.limits.hidden));
        if (!ui.limits.hidden) {
            loadVV();
        }
    });
    ui.full.addEventListener('click', toggleFullscreen);
    ui.disconnect.addEventListener('click', () => {
        state.userClosed = true;
        stop();
        status('disconnected', 'Disconnected');
        showMessage('You disconnected.');
    });
    ui.reconnect.addEventListener('click', connect);
}

async function main() {
    wire();
    const ticket = takeTicket();
    if (!ticket) {
        status('error', 'No console');
        showMessage(noTicket);
        return;
    }
    const loading = import('./spiceclient.js');
    let opened;
    try {
        opened = await api('/console/api/open', { ticket });
    } catch (err) {
        status('error', 'No console');
        showMessage(sentence(err.message));
        return;
    }
    try {
        Spice = await loading;
    } catch (err) {
        status('error', 'No console');
        showMessage(`The console page could not load spice-html5 (${err.message}); rebuild Horcrux after make novnc.`);
        return;
    }
    state.name = opened.vm;
    state.secret = opened.page;
    document.title = `${opened.vm} (SPICE) — Horcrux`;
    ui.name.textContent = opened.vm;
    await connect();
    setInterval(pollStats, 1000);
}

main();
