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
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.swscale.SWS_ACCURATE_RND;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.SWS_FULL_CHR_H_INT;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Decodes a video into RGB frames for the processors of every model bundle. A file (MP4, Matroska, WebM, AVI...
 * whatever FFmpeg reads): a first pass counts the frames and reads the frame rate, the caller picks the frames to
 * keep, a second pass decodes and converts only those (so a long video never sits in memory whole); FFmpeg reads from
 * a temporary file holding the bytes. A video given as a list of encoded frame images ({@link #decodeFrames}): the
 * frame rate is unknown (0), the caller picks frames the same way and only those are decoded.
 */
public final class VideoDecoding {
    /** Linux's EAGAIN: the natives on the class path are built for linux-x86_64 only. */
    private static final int EAGAIN = 11;

    static {
        av_log_set_level(AV_LOG_ERROR);
    }

    /**
     * What the header and the first pass tell.
     *
     * @param fps the frame rate, 0 when unknown (frames given as images)
     */
    public record Header(int width, int height, int frames, double fps) {
        /** Whether the frame rate is known. */
        public boolean hasFps() {
            return fps > 0;
        }
    }

    /** Picks the frames to decode from the header: indices in increasing order, each in {@code [0, frames)}. */
    @FunctionalInterface
    public interface Selection {
        int[] indices(Header header);
    }

    /** The kept frames (in {@code indices} order) with the header they were picked from. */
    public record Decoded(Header header, int[] indices, List<RgbImage> frames) {
    }

    private VideoDecoding() {
    }

    /**
     * Decodes the selected frames of a video file.
     *
     * @throws IllegalArgumentException when the bytes are no readable video, a frame exceeds
     *                                  {@code maxPixelsPerFrame}, or the selection is out of range; the message names
     *                                  {@code source}
     */
    public static Decoded decode(byte[] data, String source, long maxPixelsPerFrame, Selection selection) {
        Path file = null;
        try {
            file = Files.createTempFile("tessera-video-", ".bin");
            Files.write(file, data);
            Header header = scan(file, source);
            if ((long) header.width() * header.height() > maxPixelsPerFrame) {
                throw new IllegalArgumentException("the video from " + source + " is " + header.width() + "x"
                        + header.height() + " = " + (long) header.width() * header.height() + " pixels per frame; at most "
                        + maxPixelsPerFrame + " are accepted");
            }
            int[] indices = checked(selection.indices(header), header, source);
            return new Decoded(header, indices, frames(file, source, header, indices));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the video from " + source + " for decoding", e);
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

    /**
     * Decodes the selected frames of a video given as encoded images (PNG, JPEG... as {@link ImageDecoding} reads
     * them), one per frame; the header has the first frame's size, the frame count and fps 0 (unknown).
     *
     * @throws IllegalArgumentException when a frame cannot be decoded, exceeds {@code maxPixelsPerFrame}, differs in
     *                                  size from the first, or the selection is out of range
     */
    public static Decoded decodeFrames(List<byte[]> images, String source, long maxPixelsPerFrame,
                                       Selection selection) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("the video from " + source + " has no frames");
        }
        RgbImage first = ImageDecoding.decode(images.get(0), source + " frame 0", maxPixelsPerFrame);
        Header header = new Header(first.width(), first.height(), images.size(), 0);
        int[] indices = checked(selection.indices(header), header, source);
        List<RgbImage> frames = new ArrayList<>(indices.length);
        for (int index : indices) {
            RgbImage frame = index == 0 ? first
                    : ImageDecoding.decode(images.get(index), source + " frame " + index, maxPixelsPerFrame);
            if (frame.width() != first.width() || frame.height() != first.height()) {
                throw new IllegalArgumentException("the frames of the video from " + source + " differ in size: frame 0"
                        + " is " + first.width() + "x" + first.height() + ", frame " + index + " is " + frame.width()
                        + "x" + frame.height());
            }
            frames.add(frame);
        }
        return new Decoded(header, indices, frames);
    }

    private static int[] checked(int[] indices, Header header, String source) {
        int previous = -1;
        for (int index : indices) {
            if (index <= previous || index >= header.frames()) {
                throw new IllegalArgumentException("cannot pick frames " + java.util.Arrays.toString(indices)
                        + " of the video from " + source + ": they must increase within [0, " + header.frames() + ")");
            }
            previous = index;
        }
        if (indices.length == 0) {
            throw new IllegalArgumentException("no frame of the video from " + source + " was picked");
        }
        return indices.clone();
    }

    /** The first pass: size and frame rate from the stream, frames by counting the stream's packets. */
    private static Header scan(Path file, String source) {
        try (Input in = Input.open(file, source)) {
            AVCodecParameters par = in.stream.codecpar();
            double fps = rate(in.stream.avg_frame_rate());
            if (!(fps > 0)) {
                fps = rate(in.stream.r_frame_rate());
            }
            if (!(fps > 0)) {
                throw new IllegalArgumentException("the video from " + source + " has no frame rate");
            }
            int frames = 0;
            AVPacket packet = av_packet_alloc();
            try {
                while (av_read_frame(in.format, packet) >= 0) {
                    if (packet.stream_index() == in.streamIndex) {
                        frames++;
                    }
                    av_packet_unref(packet);
                }
            } finally {
                av_packet_free(packet);
            }
            if (frames == 0) {
                throw new IllegalArgumentException("the video from " + source + " has no frames");
            }
            return new Header(par.width(), par.height(), frames, fps);
        }
    }

    /** The second pass: decode in order, convert the frames at {@code indices} to RGB. */
    private static List<RgbImage> frames(Path file, String source, Header header, int[] indices) {
        List<RgbImage> kept = new ArrayList<>(indices.length);
        try (Input in = Input.open(file, source)) {
            AVCodec codec = avcodec_find_decoder(in.stream.codecpar().codec_id());
            if (codec == null) {
                throw new IllegalArgumentException("cannot decode the video from " + source + ": FFmpeg has no decoder for"
                        + " its codec (id " + in.stream.codecpar().codec_id() + ")");
            }
            AVCodecContext context = avcodec_alloc_context3(codec);
            AVPacket packet = av_packet_alloc();
            AVFrame frame = av_frame_alloc();
            Rgb rgb = new Rgb();
            try {
                check(avcodec_parameters_to_context(context, in.stream.codecpar()), "read the codec parameters", source);
                check(avcodec_open2(context, codec, (PointerPointer<?>) null), "open the decoder", source);
                int next = 0;
                int decoded = 0;
                boolean more = true;
                while (more && kept.size() < indices.length) {
                    int read = av_read_frame(in.format, packet);
                    if (read < 0) {
                        check(avcodec_send_packet(context, null), "flush the decoder", source);
                        more = false;
                    } else if (packet.stream_index() == in.streamIndex) {
                        check(avcodec_send_packet(context, packet), "decode", source);
                    }
                    av_packet_unref(packet);
                    int received;
                    while ((received = avcodec_receive_frame(context, frame)) >= 0) {
                        if (next < indices.length && decoded == indices[next]) {
                            kept.add(rgb.convert(frame, header, source + " frame " + decoded));
                            next++;
                        }
                        decoded++;
                    }
                    if (received != AVERROR_EOF && received != -EAGAIN) {
                        check(received, "decode", source);
                    }
                }
            } finally {
                rgb.close();
                av_frame_free(frame);
                av_packet_free(packet);
                avcodec_free_context(context);
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("cannot decode the video from " + source + ": no frame came out of the"
                    + " decoder");
        }
        // A stream with fewer decodable frames than packets: the missing frames repeat the last one decoded.
        while (kept.size() < indices.length) {
            kept.add(kept.get(kept.size() - 1));
        }
        return kept;
    }

    private static double rate(AVRational r) {
        return r == null || r.den() == 0 ? 0 : (double) r.num() / r.den();
    }

    private static void check(int code, String what, String source) {
        if (code < 0) {
            byte[] message = new byte[256];
            av_strerror(code, message, message.length);
            int end = 0;
            while (end < message.length && message[end] != 0) {
                end++;
            }
            throw new IllegalArgumentException("cannot " + what + " the video from " + source + ": "
                    + new String(message, 0, end, StandardCharsets.UTF_8));
        }
    }

    /** An opened container and its best video stream. */
    private static final class Input implements AutoCloseable {
        final AVFormatContext format;
        final int streamIndex;
        final AVStream stream;

        private Input(AVFormatContext format, int streamIndex) {
            this.format = format;
            this.streamIndex = streamIndex;
            this.stream = format.streams(streamIndex);
        }

        static Input open(Path file, String source) {
            AVFormatContext format = new AVFormatContext(null);
            int opened = avformat_open_input(format, file.toString(), null, null);
            if (opened < 0) {
                check(opened, "read", source);
            }
            try {
                check(avformat_find_stream_info(format, (PointerPointer<?>) null), "read the streams of", source);
                int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
                if (index < 0) {
                    throw new IllegalArgumentException("the file from " + source + " has no video stream");
                }
                return new Input(format, index);
            } catch (RuntimeException e) {
                avformat_close_input(format);
                throw e;
            }
        }

        @Override
        public void close() {
            avformat_close_input(format);
        }
    }

    /** Converts decoded frames to packed RGB24 with swscale (bilinear, accurate rounding, full chroma). */
    private static final class Rgb implements AutoCloseable {
        private SwsContext sws;
        private int format = -1;
        private BytePointer buffer;
        private PointerPointer<?> planes;
        private IntPointer strides;

        RgbImage convert(AVFrame frame, Header header, String source) {
            int w = frame.width();
            int h = frame.height();
            if (w != header.width() || h != header.height()) {
                throw new IllegalArgumentException("the video from " + source + " changes size from " + header.width()
                        + "x" + header.height() + " to " + w + "x" + h);
            }
            if (sws == null || format != frame.format()) {
                close();
                format = frame.format();
                sws = sws_getContext(w, h, format, w, h, AV_PIX_FMT_RGB24,
                        SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, null, null, (DoublePointer) null);
                if (sws == null) {
                    throw new IllegalArgumentException("cannot convert the video from " + source + " to RGB (pixel format "
                            + format + ")");
                }
                buffer = new BytePointer((long) w * h * 3);
                // swscale reads four planes and four strides whatever the format
                planes = new PointerPointer<>(4).put(0, buffer);
                strides = new IntPointer(w * 3, 0, 0, 0);
            }
            sws_scale(sws, frame.data(), frame.linesize(), 0, h, planes, strides);
            byte[] rgb = new byte[w * h * 3];
            buffer.get(rgb);
            return new RgbImage(w, h, rgb, source);
        }

        @Override
        public void close() {
            if (sws != null) {
                sws_freeContext(sws);
                sws = null;
            }
            if (buffer != null) {
                planes.close();
                strides.close();
                buffer.close();
                buffer = null;
            }
        }
    }
}
