// Keeps every SM of GPU 0 busy with FMAs for the given seconds: a known load for
// bench/gpu_energy_check.sh (built there with nvcc when it is installed; not part of the build).
#include <cstdio>
#include <cstdlib>
#include <chrono>
__global__ void spin(float* out, long iters) {
  float a = threadIdx.x * 1e-3f, b = 1.0001f, c = 0.9999f;
  for (long i = 0; i < iters; ++i) { a = fmaf(a, b, c); b = fmaf(b, c, a) * 1e-7f + 1.0f; }
  out[blockIdx.x * blockDim.x + threadIdx.x] = a + b;
}
int main(int argc, char** argv) {
  const double secs = argc > 1 ? atof(argv[1]) : 15;
  int sms = 0; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  float* out; if (cudaMalloc(&out, sms * 8 * 1024 * sizeof(float)) != cudaSuccess) { printf("no CUDA: %s\n", cudaGetErrorString(cudaGetLastError())); return 1; }
  auto t0 = std::chrono::steady_clock::now(); int launches = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < secs) {
    spin<<<sms * 8, 1024>>>(out, 200000); cudaDeviceSynchronize(); ++launches;
  }
  printf("burned %.1f s on %d SMs (%d launches): %s\n", secs, sms, launches, cudaGetErrorString(cudaGetLastError()));
  return 0;
}
