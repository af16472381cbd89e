// zxing_harness: decodes qrbench grey planes with zxing-cpp 1.4 (Debian libzxing-dev),
// QR codes only, library defaults otherwise (tryHarder, tryRotate, tryDownscale on).
#define ZX_USE_UTF8 1
#include "planes.h"
#include <ZXing/ReadBarcode.h>
#include <algorithm>

int main(int argc, char** argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: zxing_harness PLANES [REPS]  (then image indexes on stdin)\n");
		return 2;
	}
	int reps = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
	auto planes = readPlanes(argv[1]);
	ZXing::DecodeHints hints;
	hints.setFormats(ZXing::BarcodeFormat::QRCode);
	size_t i;
	while (std::scanf("%zu", &i) == 1 && i < planes.size()) {
		auto& p = planes[i];
		ZXing::ImageView view(p.pix.data(), int(p.w), int(p.h), ZXing::ImageFormat::Lum);
		ZXing::Results results;
		double best = 1e18;
		for (int r = 0; r < reps; r++) {
			auto t0 = Clock::now();
			results = ZXing::ReadBarcodes(view, hints);
			best = std::min(best, msSince(t0));
		}
		int n = 0;
		for (auto& res : results)
			n += res.isValid();
		std::printf("i %zu %.4f %d\n", i, best, n);
		for (auto& res : results) {
			if (!res.isValid())
				continue;
			auto pos = res.position();
			std::printf("c %s 4", hexOf(res.text()).c_str());
			for (int k = 0; k < 4; k++)
				std::printf(" %d %d", pos[k].x, pos[k].y);
			std::printf("\n");
		}
		std::printf("e\n");
		std::fflush(stdout);
	}
	return 0;
}
