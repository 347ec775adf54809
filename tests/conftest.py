"Test settings shared by every test: no hub access, and a private cache folder per session unless one is given."
import os, tempfile

# Nothing may download models or data from a hub during tests.
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('HF_DATASETS_OFFLINE', '1')
# Keep OpenMP threads from spinning while another process holds the other core.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
