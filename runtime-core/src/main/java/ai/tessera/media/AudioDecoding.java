package ai.tessera.media;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLT;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLTP;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_uninit;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.swresample.swr_alloc_set_opts2;
import static org.bytedeco.ffmpeg.global.swresample.swr_convert;
import static org.bytedeco.ffmpeg.global.swresample.swr_free;
import static org.bytedeco.ffmpeg.global.swresample.swr_get_out_samples;
import static org.bytedeco.ffmpeg.global.swresample.swr_init;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVChannelLayout;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Decodes an audio file (WAV, FLAC, MP3, Ogg/Vorbis, Opus, M4A... whatever FFmpeg reads) into mono float PCM at the
 * rate a model's feature extractor wants, as vLLM prepares audio for Hugging Face processors: samples as floats in
 * [-1, 1] (16-bit PCM divided by 32768, like soundfile), channels averaged (librosa's {@code to_mono}), then
 * resampled. Integer PCM at the target rate therefore comes out bit for bit as {@code librosa.load(sr=None)} gives
 * it; resampling uses FFmpeg's swresample, which differs from librosa's soxr in the last bits.
 */
public final class AudioDecoding {
    /** Linux's EAGAIN: the natives on the class path are built for linux-x86_64 only. */
    private static final int EAGAIN = 11;
    /** One hour at 48 kHz: longer input is refused before it fills the heap. */
    private static final long MAX_SAMPLES = 48_000L * 3600;

    /** Mono samples and their rate. */
    public record DecodedAudio(float[] samples, int sampleRate) {
        public double seconds() {
            return samples.length / (double) sampleRate;
        }
    }

    private AudioDecoding() {
    }

    /**
     * Decodes {@code data} and resamples it to {@code targetSampleRate} (0 keeps the file's rate).
     *
     * @param source names the input in error messages (a URL or a content-part index)
     * @throws IllegalArgumentException naming the source when the bytes are not audio FFmpeg can decode
     */
    public static DecodedAudio decode(byte[] data, String source, int targetSampleRate) {
        if (data.length == 0) {
            throw new IllegalArgumentException("the audio from " + source + " is empty");
        }
        if (targetSampleRate < 0) {
            throw new IllegalArgumentException("target sample rate must be positive (or 0 to keep the file's), got "
                    + targetSampleRate);
        }
        FfmpegLog.quiet();
        Path file = null;
        try {
            file = Files.createTempFile("tessera-audio-", ".bin");
            Files.write(file, data);
            DecodedAudio native_ = decodeFile(file, source);
            if (targetSampleRate == 0 || targetSampleRate == native_.sampleRate()) {
                return native_;
            }
            return new DecodedAudio(resample(native_.samples(), native_.sampleRate(), targetSampleRate, source),
                    targetSampleRate);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the audio from " + source + " for decoding", e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    file.toFile().deleteOnExit();
                }
            }
        }
    }

    /** Decodes the best audio stream to planar float at its own rate and averages the channels. */
    private static DecodedAudio decodeFile(Path file, String source) {
        AVFormatContext format = new AVFormatContext(null);
        check(avformat_open_input(format, file.toString(), null, null), "read", source);
        try {
            check(avformat_find_stream_info(format, (PointerPointer<?>) null), "read the streams of", source);
            int index = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, (AVCodec) null, 0);
            if (index < 0) {
                throw new IllegalArgumentException("the file from " + source + " has no audio stream");
            }
            AVStream stream = format.streams(index);
            AVCodec codec = avcodec_find_decoder(stream.codecpar().codec_id());
            if (codec == null) {
                throw new IllegalArgumentException("cannot decode the audio from " + source
                        + ": FFmpeg has no decoder for its codec (id " + stream.codecpar().codec_id() + ")");
            }
            AVCodecContext context = avcodec_alloc_context3(codec);
            AVPacket packet = av_packet_alloc();
            AVFrame frame = av_frame_alloc();
            try {
                check(avcodec_parameters_to_context(context, stream.codecpar()), "read the codec parameters of", source);
                check(avcodec_open2(context, codec, (PointerPointer<?>) null), "open the decoder of", source);
                MonoMixer mixer = new MonoMixer(source);
                boolean more = true;
                while (more) {
                    int read = av_read_frame(format, packet);
                    if (read < 0) {
                        check(avcodec_send_packet(context, null), "flush the decoder of", source);
                        more = false;
                    } else if (packet.stream_index() == index) {
                        check(avcodec_send_packet(context, packet), "decode", source);
                    }
                    av_packet_unref(packet);
                    int received;
                    while ((received = avcodec_receive_frame(context, frame)) >= 0) {
                        mixer.add(frame);
                    }
                    if (received != AVERROR_EOF && received != -EAGAIN) {
                        check(received, "decode", source);
                    }
                }
                return mixer.finish();
            } finally {
                av_frame_free(frame);
                av_packet_free(packet);
                avcodec_free_context(context);
            }
        } finally {
            avformat_close_input(format);
        }
    }

    /** Converts decoded frames of any sample format to planar float and averages their channels. */
    private static final class MonoMixer {
        private final String source;
        private SwrContext swr;
        private int format = -1;
        private int rate;
        private int channels;
        private float[] out = new float[1 << 16];
        private int length;

        MonoMixer(String source) {
            this.source = source;
        }

        void add(AVFrame frame) {
            if (swr == null) {
                open(frame);
            } else if (frame.format() != format || frame.sample_rate() != rate || frame.ch_layout().nb_channels() != channels) {
                throw new IllegalArgumentException("the audio from " + source + " changes format mid-stream (from "
                        + channels + " channels at " + rate + " Hz to " + frame.ch_layout().nb_channels() + " at "
                        + frame.sample_rate() + " Hz)");
            }
            int n = frame.nb_samples();
            PointerPointer<FloatPointer> planes = new PointerPointer<>(channels);
            FloatPointer[] buffers = new FloatPointer[channels];
            try {
                for (int c = 0; c < channels; c++) {
                    buffers[c] = new FloatPointer(n);
                    planes.put(c, buffers[c]);
                }
                int converted = swr_convert(swr, planes, n, frame.extended_data(), n);
                check(converted, "convert the samples of", source);
                append(buffers, converted);
            } finally {
                for (FloatPointer b : buffers) {
                    if (b != null) {
                        b.close();
                    }
                }
                planes.close();
            }
        }

        private void open(AVFrame frame) {
            format = frame.format();
            rate = frame.sample_rate();
            channels = frame.ch_layout().nb_channels();
            if (rate <= 0 || channels <= 0) {
                throw new IllegalArgumentException("the audio from " + source + " has no sample rate or no channels ("
                        + rate + " Hz, " + channels + " channels)");
            }
            // same layout and rate: swresample only converts the sample format (int to float is exact: x / 2^15)
            SwrContext context = new SwrContext(null);
            check(swr_alloc_set_opts2(context, frame.ch_layout(), AV_SAMPLE_FMT_FLTP, rate, frame.ch_layout(), format,
                    rate, 0, null), "prepare the sample conversion of", source);
            swr = context;
            check(swr_init(swr), "prepare the sample conversion of", source);
        }

        private void append(FloatPointer[] planes, int n) {
            if ((long) length + n > MAX_SAMPLES) {
                throw new IllegalArgumentException("the audio from " + source + " is longer than "
                        + MAX_SAMPLES / 48_000 / 60 + " minutes");
            }
            if (length + n > out.length) {
                out = java.util.Arrays.copyOf(out, Math.max(out.length * 2, length + n));
            }
            if (channels == 1) {
                planes[0].get(out, length, n);
            } else {
                float[][] c = new float[channels][n];
                for (int k = 0; k < channels; k++) {
                    planes[k].get(c[k]);
                }
                for (int i = 0; i < n; i++) {
                    float sum = 0;
                    for (int k = 0; k < channels; k++) {
                        sum += c[k][i];
                    }
                    out[length + i] = sum / channels;
                }
            }
            length += n;
        }

        DecodedAudio finish() {
            if (swr != null) {
                swr_free(swr);
            }
            if (length == 0) {
                throw new IllegalArgumentException("the audio from " + source + " has no samples");
            }
            return new DecodedAudio(java.util.Arrays.copyOf(out, length), rate);
        }
    }

    /** Resamples mono float PCM with swresample (its default windowed-sinc filter). */
    static float[] resample(float[] samples, int from, int to, String source) {
        AVChannelLayout mono = new AVChannelLayout();
        av_channel_layout_default(mono, 1);
        SwrContext swr = new SwrContext(null);
        try {
            check(swr_alloc_set_opts2(swr, mono, AV_SAMPLE_FMT_FLT, to, mono, AV_SAMPLE_FMT_FLT, from, 0, null),
                    "prepare the resampling of", source);
            check(swr_init(swr), "prepare the resampling of", source);
            long expected = (long) Math.ceil(samples.length * (double) to / from);
            int capacity = Math.toIntExact(swr_get_out_samples(swr, samples.length) + 64L);
            try (FloatPointer in = new FloatPointer(samples);
                    FloatPointer out = new FloatPointer(capacity);
                    PointerPointer<Pointer> inPlanes = new PointerPointer<>(1);
                    PointerPointer<Pointer> outPlanes = new PointerPointer<>(1)) {
                inPlanes.put(0, in);
                outPlanes.put(0, out);
                int first = swr_convert(swr, outPlanes, capacity, inPlanes, samples.length);
                check(first, "resample", source);
                float[] result = new float[capacity];
                out.get(result, 0, first);
                int total = first;
                // drain what the filter still holds
                while (total < capacity) {
                    outPlanes.put(0, out);
                    int more = swr_convert(swr, outPlanes, capacity - total, (PointerPointer<?>) null, 0);
                    check(more, "resample", source);
                    if (more == 0) {
                        break;
                    }
                    out.get(result, total, more);
                    total += more;
                }
                return java.util.Arrays.copyOf(result, (int) Math.min(total, expected));
            }
        } finally {
            swr_free(swr);
            av_channel_layout_uninit(mono);
        }
    }

    private static void check(int code, String what, String source) {
        if (code < 0) {
            byte[] message = new byte[256];
            av_strerror(code, message, message.length);
            int end = 0;
            while (end < message.length && message[end] != 0) {
                end++;
            }
            throw new IllegalArgumentException("cannot " + what + " the audio from " + source + ": "
                    + new String(message, 0, end, StandardCharsets.UTF_8));
        }
    }

    /** FFmpeg logs to stderr by default; errors reach the caller as exceptions instead. */
    private static final class FfmpegLog {
        private static volatile boolean set;

        static void quiet() {
            if (!set) {
                av_log_set_level(AV_LOG_ERROR);
                set = true;
            }
        }
    }
}
