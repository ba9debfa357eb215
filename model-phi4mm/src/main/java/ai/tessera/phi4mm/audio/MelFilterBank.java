package ai.tessera.phi4mm.audio;

/**
 * transformers' {@code audio_utils.mel_filter_bank} with {@code mel_scale="kaldi"},
 * {@code triangularize_in_mel_space=True} and no norm: triangles spaced evenly in mel, evaluated at the FFT bins'
 * mel values, computed in double (as numpy does) and rounded to float32 (as the extractor uses them).
 */
final class MelFilterBank {
    private MelFilterBank() {
    }

    /** {@code [bins, filters]} row-major. */
    static float[] kaldiTriangularInMel(int bins, int filters, double minHz, double maxHz, int samplingRate) {
        double melMin = hertzToMel(minHz);
        double melMax = hertzToMel(maxHz);
        double[] centres = linspace(melMin, melMax, filters + 2);
        double binWidth = samplingRate / ((bins - 1) * 2.0);
        double[] diff = new double[centres.length - 1];
        for (int j = 0; j < diff.length; j++) {
            diff[j] = centres[j + 1] - centres[j];
        }
        float[] out = new float[bins * filters];
        for (int i = 0; i < bins; i++) {
            double binMel = hertzToMel(binWidth * i);
            for (int j = 0; j < filters; j++) {
                double down = -(centres[j] - binMel) / diff[j];
                double up = (centres[j + 2] - binMel) / diff[j + 1];
                // numpy's minimum/maximum pick as below, which keeps the -0.0 of the first bin (Math.max would not)
                double lower = down < up ? down : up;
                out[i * filters + j] = (float) (0.0 > lower ? 0.0 : lower);
            }
        }
        return out;
    }

    /** Kaldi's mel scale: {@code 1127 ln(1 + f / 700)}. */
    static double hertzToMel(double hz) {
        return 1127.0 * Math.log(1.0 + (hz / 700.0));
    }

    /** {@code numpy.linspace}: {@code start + i * step}, the last point exactly {@code stop}. */
    private static double[] linspace(double start, double stop, int count) {
        double step = (stop - start) / (count - 1);
        double[] out = new double[count];
        for (int i = 0; i < count; i++) {
            out[i] = i * step + start;
        }
        out[count - 1] = stop;
        return out;
    }
}
