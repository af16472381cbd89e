// zbar_harness: decodes qrbench grey planes with libzbar (Debian libzbar-dev), QR only.
#include "planes.h"
#include <algorithm>
#include <zbar.h>

using namespace zbar;

int main(int argc, char** argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: zbar_harness PLANES [REPS]  (then image indexes on stdin)\n");
		return 2;
	}
	int reps = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
	auto planes = readPlanes(argv[1]);
	zbar_image_scanner_t* sc = zbar_image_scanner_create();
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	size_t i;
	while (std::scanf("%zu", &i) == 1 && i < planes.size()) {
		auto& p = planes[i];
		double best = 1e18;
		zbar_image_t* img = nullptr;
		for (int r = 0; r < reps; r++) {
			if (img)
				zbar_image_destroy(img);
			img = zbar_image_create();
			zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
			zbar_image_set_size(img, p.w, p.h);
			zbar_image_set_data(img, p.pix.data(), p.pix.size(), nullptr);
			auto t0 = Clock::now();
			zbar_scan_image(sc, img);
			best = std::min(best, msSince(t0));
		}
		int n = 0;
		for (auto s = zbar_image_first_symbol(img); s; s = zbar_symbol_next(s))
			n++;
		std::printf("i %zu %.4f %d\n", i, best, n);
		for (auto s = zbar_image_first_symbol(img); s; s = zbar_symbol_next(s)) {
			std::string text(zbar_symbol_get_data(s), zbar_symbol_get_data_length(s));
			unsigned np = zbar_symbol_get_loc_size(s);
			std::printf("c %s %u", hexOf(text).c_str(), np);
			for (unsigned k = 0; k < np; k++)
				std::printf(" %d %d", zbar_symbol_get_loc_x(s, k), zbar_symbol_get_loc_y(s, k));
			std::printf("\n");
		}
		std::printf("e\n");
		std::fflush(stdout);
		zbar_image_destroy(img);
	}
	zbar_image_scanner_destroy(sc);
	return 0;
}
