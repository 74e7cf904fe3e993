// Recording helpers: capture microphone samples with Web Audio, resample to 16 kHz mono and wrap
// them in a 16-bit PCM WAV file, the format every Parley server decodes.
"use strict";

const ParleyWav = (() => {
  // Resamples mono float samples to `rate` Hz with the browser's own resampler.
  async function resample(samples, fromRate, rate) {
    if (fromRate === rate) return samples;
    const length = Math.max(1, Math.ceil(samples.length * rate / fromRate));
    const offline = new OfflineAudioContext(1, length, rate);
    const buffer = offline.createBuffer(1, samples.length, fromRate);
    buffer.copyToChannel(samples, 0);
    const source = offline.createBufferSource();
    source.buffer = buffer;
    source.connect(offline.destination);
    source.start();
    const rendered = await offline.startRendering();
    return rendered.getChannelData(0);
  }

  // A WAV file (16-bit PCM, mono) as a Blob.
  function encode(samples, rate) {
    const bytes = new ArrayBuffer(44 + samples.length * 2);
    const view = new DataView(bytes);
    const text = (offset, s) => { for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); };
    text(0, "RIFF");
    view.setUint32(4, 36 + samples.length * 2, true);
    text(8, "WAVEfmt ");
    view.setUint32(16, 16, true);
    view.setUint16(20, 1, true);          // integer PCM
    view.setUint16(22, 1, true);          // mono
    view.setUint32(24, rate, true);
    view.setUint32(28, rate * 2, true);   // bytes per second
    view.setUint16(32, 2, true);          // bytes per frame
    view.setUint16(34, 16, true);         // bits per sample
    text(36, "data");
    view.setUint32(40, samples.length * 2, true);
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i] || 0));
      view.setInt16(44 + i * 2, Math.round(s * 32767), true);
    }
    return new Blob([bytes], { type: "audio/wav" });
  }

  // Records from the microphone until stop() is called; stop() resolves to a 16 kHz WAV Blob.
  // onLevel(0..1) is called with the input level for a meter.
  async function record(onLevel) {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
    });
    const context = new AudioContext();
    await context.resume();
    const input = context.createMediaStreamSource(stream);
    // ScriptProcessorNode is deprecated but works everywhere without a separate worklet file.
    const tap = context.createScriptProcessor(4096, 1, 1);
    const chunks = [];
    tap.onaudioprocess = (event) => {
      const data = event.inputBuffer.getChannelData(0);
      chunks.push(new Float32Array(data));
      let peak = 0;
      for (let i = 0; i < data.length; i++) peak = Math.max(peak, Math.abs(data[i]));
      if (onLevel) onLevel(peak);
    };
    input.connect(tap);
    tap.connect(context.destination);
    return {
      seconds: () => chunks.reduce((n, c) => n + c.length, 0) / context.sampleRate,
      async stop() {
        input.disconnect();
        tap.disconnect();
        stream.getTracks().forEach((t) => t.stop());
        const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) { all.set(c, at); at += c.length; }
        const rate = context.sampleRate;
        await context.close();
        return encode(await resample(all, rate, 16000), 16000);
      },
    };
  }

  return { encode, resample, record };
})();
