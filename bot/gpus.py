"""GPU state through NVML: name, memory, load, temperature. No GPU is a normal answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GPU:
    index: int
    name: str
    memory_used_mib: int
    memory_total_mib: int
    utilisation_pct: int
    temperature_c: int

    @property
    def memory_free_mib(self) -> int:
        return self.memory_total_mib - self.memory_used_mib


def read_gpus() -> tuple[list[GPU], str]:
    """The GPUs NVML sees, and a line saying why there are none when there are none."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception as error:
        return [], f"No NVIDIA GPU here (NVML: {type(error).__name__}); Ollama may run elsewhere."
    try:
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            gpus.append(
                GPU(
                    index=index,
                    name=str(pynvml.nvmlDeviceGetName(handle)),
                    memory_used_mib=int(memory.used) // 2**20,
                    memory_total_mib=int(memory.total) // 2**20,
                    utilisation_pct=int(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu),
                    temperature_c=int(
                        pynvml.nvmlDeviceGetTemperature(handle, pynvml.NVML_TEMPERATURE_GPU)
                    ),
                )
            )
    finally:
        pynvml.nvmlShutdown()
    return gpus, "" if gpus else "NVML is present but sees no GPU."
