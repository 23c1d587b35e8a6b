// spice-html5 0.2.1, with its ticket sent at full length.
//
// rsa_encrypt turns the ciphertext into bytes through BigInteger.toString(16),
// which drops leading zero bytes, and the link message then pads it with
// zeros at the end. The server cannot decrypt that and refuses the channel
// ("Permission denied."), about once in 256 channels; a SPICE console opens
// four or more. Here the ciphertext's hex is padded in front to the width of
// the key, as RSA requires. This module shares spice-html5's RSAKey (the same
// module URL), so the fix holds for every channel it opens.
import { RSAKey } from './spice/src/thirdparty/rsa.js';

const doPublic = RSAKey.prototype.doPublic;
RSAKey.prototype.doPublic = function (x) {
    const c = doPublic.call(this, x);
    const digits = ((this.n.bitLength() + 7) >> 3) * 2;
    const toString = c.toString;
    c.toString = (radix) => {
        const s = toString.call(c, radix);
        return radix === 16 ? s.padStart(digits, '0') : s;
    };
    return c;
};

export * from './spice/src/main.js';
