//! The bit stream a delta's fields travel in: values of any width up to 64 bits, least significant
//! bit first, filling each byte from its bit 0; the last byte's unused high bits are zero.

use super::DeltaError;

/// Appends bits to a byte vector.
pub(super) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Bits already used in the last byte of `out` (0: start a new byte).
    used: u32,
}

impl<'a> BitWriter<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, used: 0 }
    }

    /// Writes the low `width` bits of `value` (the rest must be zero).
    pub(super) fn write(&mut self, mut value: u64, mut width: u32) {
        debug_assert!(width == 64 || value >> width == 0);
        while width > 0 {
            if self.used == 0 {
                self.out.push(0);
            }
            let room = 8 - self.used;
            let take = room.min(width);
            let last = self.out.len() - 1;
            self.out[last] |= ((value & ((1 << take) - 1)) as u8) << self.used;
            value >>= take;
            width -= take;
            self.used = (self.used + take) % 8;
        }
    }

    pub(super) fn bit(&mut self, set: bool) {
        self.write(u64::from(set), 1);
    }
}

/// Reads bits back in the order [`BitWriter`] wrote them.
pub(super) struct BitReader<'a> {
    bytes: &'a [u8],
    /// Bits of the stream already read.
    position: usize,
}

impl<'a> BitReader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    /// Reads a `width`-bit value (`width` ≤ 64).
    pub(super) fn read(&mut self, width: u32) -> Result<u64, DeltaError> {
        let end = self.position + width as usize;
        if end > self.bytes.len() * 8 {
            return Err(DeltaError::Truncated);
        }
        let mut value = 0u64;
        let mut filled = 0;
        while filled < width {
            let (byte, offset) = (self.position / 8, (self.position % 8) as u32);
            let take = (8 - offset).min(width - filled);
            let bits = u64::from(self.bytes[byte] >> offset) & ((1 << take) - 1);
            value |= bits << filled;
            filled += take;
            self.position += take as usize;
        }
        Ok(value)
    }

    pub(super) fn bit(&mut self) -> Result<bool, DeltaError> {
        Ok(self.read(1)? == 1)
    }

    /// The stream must end here: no byte left over, and the last byte's unused bits zero.
    pub(super) fn finish(self) -> Result<(), DeltaError> {
        let whole_bytes = self.position.div_ceil(8);
        if whole_bytes != self.bytes.len() {
            return Err(DeltaError::Truncated);
        }
        let padding = (8 - self.position % 8) % 8;
        if padding > 0 && self.bytes[whole_bytes - 1] >> (8 - padding) != 0 {
            return Err(DeltaError::Padding);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_every_width_read_back_in_order() {
        let values: Vec<(u64, u32)> = (0..=64)
            .map(|width| {
                let value = if width == 0 {
                    0
                } else {
                    0xA5A5_5A5A_F00F_0FF0u64 >> (64 - width)
                };
                (value, width)
            })
            .collect();
        let mut bytes = Vec::new();
        let mut writer = BitWriter::new(&mut bytes);
        for &(value, width) in &values {
            writer.write(value, width);
        }
        let total: u32 = values.iter().map(|(_, width)| width).sum();
        assert_eq!(bytes.len(), total.div_ceil(8) as usize);
        let mut reader = BitReader::new(&bytes);
        for &(value, width) in &values {
            assert_eq!(reader.read(width), Ok(value), "width {width}");
        }
        assert_eq!(reader.finish(), Ok(()));
    }

    #[test]
    fn the_first_bit_is_bit_zero_of_the_first_byte() {
        let mut bytes = Vec::new();
        let mut writer = BitWriter::new(&mut bytes);
        writer.bit(true);
        writer.write(0b101, 3);
        writer.write(0x1F, 5);
        assert_eq!(bytes, [0b1111_1011, 0b0000_0001]);
    }

    #[test]
    fn reading_past_the_end_set_padding_and_bytes_left_over_are_refused() {
        assert_eq!(BitReader::new(&[0xFF]).read(9), Err(DeltaError::Truncated));
        let mut reader = BitReader::new(&[0b1000_0001]);
        assert_eq!(reader.bit(), Ok(true));
        assert_eq!(reader.finish(), Err(DeltaError::Padding));
        let mut reader = BitReader::new(&[0x01, 0x00]);
        assert_eq!(reader.bit(), Ok(true));
        assert_eq!(reader.finish(), Err(DeltaError::Truncated));
    }
}
