#!/usr/bin/env python3
"""Make the disk of benchmark scenario S2: an ext2 file system holding the
files f000, f001 ... of 1024 pages each, where every 8-byte word of page p
of file n holds fill_word(FILL_FILE_SEED, n * 1024 + p), little-endian, as
bench/cma_bulk_fill.h defines them. The guest
mounts it and fills the CMA area with its page cache.

Usage: bench/make-s2-image.py IMAGE NR_FILES
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

PAGE = 4096
PAGES_PER_FILE = 1024
SEED = 0x5eed5eed
MASK = (1 << 64) - 1


def fill_word(seed, i):
    return ((seed ^ (i * 0x9e3779b97f4a7c15)) & MASK) | 1


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        sys.exit('usage: bench/make-s2-image.py IMAGE NR_FILES')
    image, nr = sys.argv[1], int(sys.argv[2])
    staging = tempfile.mkdtemp(prefix='s2-', dir=os.path.dirname(os.path.abspath(image)))
    try:
        for n in range(nr):
            base = n * PAGES_PER_FILE
            with open(os.path.join(staging, f'f{n:03d}'), 'wb') as f:
                f.write(b''.join(struct.pack('<Q', fill_word(SEED, base + p)) * (PAGE // 8)
                                 for p in range(PAGES_PER_FILE)))
        # The data, plus room for the metadata of ext2 with 4 KiB blocks.
        size_mb = nr * PAGES_PER_FILE * PAGE // 2**20 * 102 // 100 + 16
        tmp = image + '.tmp'
        if os.path.exists(tmp):
            os.unlink(tmp)
        subprocess.run(['mke2fs', '-q', '-F', '-t', 'ext2', '-b', str(PAGE), '-m', '0',
                        '-L', 'cma-bulk-s2', '-d', staging, tmp, f'{size_mb}M'],
                       check=True, stdout=subprocess.DEVNULL)
        os.replace(tmp, image)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f'make-s2-image: {e}')
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f'make-s2-image: {image}: {nr} files of {PAGES_PER_FILE * PAGE // 2**20} MiB')


if __name__ == '__main__':
    main()
