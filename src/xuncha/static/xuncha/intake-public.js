/* The public channel's pages: the proof of work before a form is sent, and printing the
   receipt. No inline scripts (the Content-Security-Policy forbids them). Everything
   essential works without this file: the server then asks the form to stay open a little
   while instead of the proof of work.

   The proof of work: find a decimal nonce such that SHA-256 of "<challenge>:<nonce>"
   starts with `bits` zero bits (xuncha/intake/lib/pow.py checks it). crypto.subtle is
   missing on plain-http intranet hosts, hence the small SHA-256 below. */
(function (factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api; // for the tests, under Node
  } else if (typeof document !== "undefined") {
    api.start(document);
  }
})(function () {
  "use strict";

  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Array(64);

  function utf8(text) {
    if (typeof TextEncoder !== "undefined") {
      return new TextEncoder().encode(text);
    }
    var escaped = unescape(encodeURIComponent(text));
    var bytes = new Uint8Array(escaped.length);
    for (var i = 0; i < escaped.length; i++) { bytes[i] = escaped.charCodeAt(i); }
    return bytes;
  }

  // SHA-256 of a byte array, as eight 32-bit words (signed; use >>> 0 for unsigned).
  function sha256(bytes) {
    var length = bytes.length;
    var padded = ((length + 9 + 63) >> 6) << 6;
    var block = new Uint8Array(padded);
    block.set(bytes);
    block[length] = 0x80;
    var bitsLow = (length * 8) >>> 0;
    var bitsHigh = Math.floor(length / 0x20000000);
    block[padded - 8] = bitsHigh >>> 24; block[padded - 7] = bitsHigh >>> 16;
    block[padded - 6] = bitsHigh >>> 8; block[padded - 5] = bitsHigh;
    block[padded - 4] = bitsLow >>> 24; block[padded - 3] = bitsLow >>> 16;
    block[padded - 2] = bitsLow >>> 8; block[padded - 1] = bitsLow;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
    var h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var offset = 0; offset < padded; offset += 64) {
      var i;
      for (i = 0; i < 16; i++) {
        var j = offset + i * 4;
        W[i] = (block[j] << 24) | (block[j + 1] << 16) | (block[j + 2] << 8) | block[j + 3];
      }
      for (i = 16; i < 64; i++) {
        var x = W[i - 15], y = W[i - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (h + S1 + ch + K[i] + W[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var t2 = (S0 + maj) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0;
        d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return [h0, h1, h2, h3, h4, h5, h6, h7];
  }

  function sha256Hex(text) {
    return sha256(utf8(text)).map(function (word) {
      return ("00000000" + (word >>> 0).toString(16)).slice(-8);
    }).join("");
  }

  // Whether the digest starts with `bits` zero bits.
  function meets(words, bits) {
    for (var i = 0; bits > 0; i++) {
      if (bits >= 32) {
        if (words[i] !== 0) { return false; }
        bits -= 32;
      } else {
        return (words[i] >>> (32 - bits)) === 0;
      }
    }
    return true;
  }

  function attempt(challenge, nonce, bits) {
    return meets(sha256(utf8(challenge + ":" + nonce)), bits);
  }

  function solveSync(challenge, bits) {
    for (var n = 0; ; n++) {
      if (attempt(challenge, String(n), bits)) { return String(n); }
    }
  }

  // The same search in slices, so that the page stays responsive and shows progress.
  function solve(challenge, bits, progress, done) {
    var expected = Math.pow(2, bits);
    var n = 0;
    function slice() {
      var stop = n + 4000;
      for (; n < stop; n++) {
        if (attempt(challenge, String(n), bits)) {
          progress(100);
          done(String(n));
          return;
        }
      }
      // The chance of having found it by now: a fair progress bar for a random search.
      progress(Math.min(99, Math.round(100 * (1 - Math.exp(-n / expected)))));
      setTimeout(slice, 0);
    }
    slice();
  }

  function bindForm(form) {
    form.addEventListener("submit", function (event) {
      var nonce = form.querySelector("input[name=pow_nonce]");
      var challenge = form.querySelector("input[name=pow_challenge]");
      if (!nonce || !challenge) { return; }
      if (form.getAttribute("data-pow-busy") === "1") { event.preventDefault(); return; }
      if (nonce.value) { return; }
      event.preventDefault();
      form.setAttribute("data-pow-busy", "1");
      var status = form.querySelector("[data-pow-status]");
      var bar = status ? status.querySelector("progress") : null;
      if (status) { status.classList.remove("d-none"); }
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
      var bits = parseInt(form.getAttribute("data-pow-bits"), 10) || 0;
      solve(challenge.value, bits, function (percent) {
        if (bar) { bar.value = percent; }
      }, function (found) {
        nonce.value = found;
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  // Back from the next page: the form is usable again (the server refuses a used proof
  // and hands out a new one).
  function reset(doc) {
    doc.querySelectorAll("form[data-pow]").forEach(function (form) {
      form.removeAttribute("data-pow-busy");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
      var status = form.querySelector("[data-pow-status]");
      if (status) { status.classList.add("d-none"); }
    });
  }

  function start(doc) {
    doc.querySelectorAll("form[data-pow]").forEach(bindForm);
    doc.querySelectorAll("[data-print]").forEach(function (button) {
      button.classList.remove("d-none");
      button.addEventListener("click", function () { window.print(); });
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { reset(doc); }
    });
  }

  return { sha256Hex: sha256Hex, meets: meets, solveSync: solveSync, start: start };
});
