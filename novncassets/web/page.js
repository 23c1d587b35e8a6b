// What every Horcrux console page shares: redeeming the one-time link,
// the page API and the words for a closed connection.
//
// The URL fragment holds a one-time page ticket (fragments are never sent
// to the server nor in a Referer). The page trades it once, by POST, for
// the console's name, a one-time WebSocket URL and a page secret that lives
// in the page's memory only; Reconnect and the statistics use that secret.

export const $ = (id) => document.getElementById(id);

// takeTicket reads the page ticket from the fragment and removes it from the address bar and history.
export function takeTicket() {
    const params = new URLSearchParams(location.hash.slice(1));
    const ticket = params.get('t') || '';
    if (location.hash) {
        history.replaceState(null, '', location.pathname);
    }
    return ticket;
}

export function wsURL(path) {
    return `ws://${location.host}${path}`;
}

// api POSTs body to one of the page API's paths; a refusal throws with the server's words.
export async function api(path, body, secret = '') {
    const headers = { 'Content-Type': 'application/json' };
    if (secret) {
        headers['X-Horcrux-Page'] = secret;
    }
    const res = await fetch(path, {
        method: 'POST',
        cache: 'no-store',
        credentials: 'omit',
        headers,
        body: JSON.stringify(body ?? {}),
    });
    let data = {};
    try {
        data = await res.json();
    } catch {
        // an answer without JSON: the status code below still tells
    }
    if (!res.ok) {
        throw new Error(data.error || `the Horcrux console server answered ${res.status}`);
    }
    return data;
}

// closeText says why a WebSocket closed.
export function closeText(code, reason) {
    if (reason) {
        return reason;
    }
    if (code === 1006) {
        return 'the connection to Horcrux was lost (code 1006); see the Horcrux log for the reason';
    }
    return `the connection closed (code ${code})`;
}

// sentence makes a server's error text a sentence.
export const sentence = (s) => s.charAt(0).toUpperCase() + s.slice(1) + (s.endsWith('.') ? '' : '.');

// setStatus shows the connection state in the bar (data-state drives the colour).
export function setStatus(el, textEl, kind, text) {
    el.dataset.state = kind;
    textEl.textContent = text;
}

// showMessage shows text in the page's #message line, or hides it when empty.
export function showMessage(text) {
    const el = $('message');
    el.textContent = text;
    el.hidden = !text;
}

// kib is a byte count over secs seconds in KiB/s, for the statistics line.
export const kib = (bytes, secs) => (bytes / 1024 / secs).toFixed(1);

// toggleFullscreen enters or leaves full screen, saying why when the browser refuses.
export function toggleFullscreen() {
    if (document.fullscreenElement) {
        document.exitFullscreen();
    } else {
        document.documentElement.requestFullscreen().catch((err) => showMessage(`Full screen refused: ${err.message}`));
    }
}

// noTicket is what a page opened without its one-time ticket says.
export const noTicket = 'This console link has no ticket (it was already used, or the page was reloaded); open the console again from Horcrux.';
