// Streaming translation for the web page: POST the audio to /v1/speech-translation/stream, read its
// server-sent events as they arrive, and play each sentence's audio the moment it comes, queued
// one after another with Web Audio so the first sentence plays while the rest is still being made.
"use strict";

const ParleyStream = (() => {
  // Reads a text/event-stream response body, calling onEvent(name, data) for each event in order.
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let end;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        let name = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        await onEvent(name, data ? JSON.parse(data) : null);
      }
    }
  }

  function base64Bytes(data) {
    const bytes = atob(data);
    const array = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
    return array;
  }

  // Plays audio chunks back to back, in the order given, as soon as each is decoded. Keeps every
  // chunk's samples so the whole speech can be offered as one WAV at the end.
  class Player {
    constructor() {
      // At the speech's own rate, so decoding keeps the server's samples (the browser resamples for
      // the speakers); the whole speech is then offered for download as the server made it.
      try { this.context = new AudioContext({ sampleRate: 16000 }); } catch { this.context = new AudioContext(); }
      this.nextTime = 0;
      this.samples = [];
      this.rate = 16000;
      this.firstPlay = null;  // performance.now() when the first chunk starts to sound
      this.chain = Promise.resolve();
      this.sources = [];
    }

    // Queues one WAV (bytes); returns when it is scheduled.
    add(wavBytes) {
      this.chain = this.chain.then(async () => {
        const buffer = await this.context.decodeAudioData(wavBytes.buffer.slice(0));
        this.samples.push(new Float32Array(buffer.getChannelData(0)));
        this.rate = buffer.sampleRate;
        if (this.context.state === "suspended") await this.context.resume();
        const now = this.context.currentTime;
        const at = Math.max(now + 0.02, this.nextTime);
        const source = this.context.createBufferSource();
        source.buffer = buffer;
        source.connect(this.context.destination);
        source.start(at);
        this.sources.push(source);
        if (this.firstPlay === null) this.firstPlay = performance.now() + (at - now) * 1000;
        this.nextTime = at + buffer.duration;
      });
      return this.chain;
    }

    // Seconds of queued audio not yet played.
    ahead() { return Math.max(0, this.nextTime - this.context.currentTime); }

    // Every chunk so far as one 16-bit WAV Blob.
    wav() {
      const all = new Float32Array(this.samples.reduce((n, s) => n + s.length, 0));
      let at = 0;
      for (const s of this.samples) { all.set(s, at); at += s.length; }
      return ParleyWav.encode(all, this.rate);
    }

    stop() {
      for (const s of this.sources) { try { s.stop(); } catch { /* already ended */ } }
      this.context.close();
    }
  }

  // Sends one recording; calls handlers.language(data), .text(data), .audio(data) and .done(data)
  // as the events arrive, queueing the audio into `player`. Throws Error with the server's message.
  async function translate(form, player, handlers) {
    const response = await fetch("/v1/speech-translation/stream", { method: "POST", body: form });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const message = body && body.error ? body.error.message : `the server answered ${response.status}`;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    let done = null;
    await readEvents(response, async (name, data) => {
      if (name === "error") {
        const error = new Error(data && data.error ? data.error.message : "the translation failed");
        error.status = data && data.status;
        throw error;
      }
      if (name === "audio") {
        player.add(base64Bytes(data.audio));
      }
      if (name === "done") done = data;
      if (handlers[name]) handlers[name](data);
    });
    if (!done) throw new Error("the connection ended before the translation was finished");
    await player.chain;
    return done;
  }

  return { translate, Player, readEvents };
})();
