defmodule Otpscope.Varint do
  @moduledoc false
  # LEB128 varints (docs/FORMAT.md "Event chunks"): 7 bits per byte, low group
  # first, high bit set on every byte but the last. Signed values are zigzag
  # encoded first so small negative deltas stay small.

  import Bitwise

  @doc "Encodes a non-negative integer as an unsigned LEB128 varint."
  def unsigned(n) when n < 0x80, do: <<n>>
  def unsigned(n) when n < 0x4000, do: <<(n &&& 0x7F) ||| 0x80, n >>> 7>>

  def unsigned(n) when n < 0x200000,
    do: <<(n &&& 0x7F) ||| 0x80, (n >>> 7 &&& 0x7F) ||| 0x80, n >>> 14>>

  def unsigned(n), do: [(n &&& 0x7F) ||| 0x80 | unsigned(n >>> 7)]

  @doc "Encodes a signed integer as a zigzag LEB128 varint."
  def signed(n) when n >= 0, do: unsigned(n <<< 1)
  def signed(n), do: unsigned(-n * 2 - 1)

  @doc "Appends an unsigned varint to `bin` (in place when `bin` is writable)."
  def put_unsigned(bin, n) when n < 0x80, do: <<bin::binary, n>>
  def put_unsigned(bin, n) when n < 0x4000, do: <<bin::binary, (n &&& 0x7F) ||| 0x80, n >>> 7>>

  def put_unsigned(bin, n) when n < 0x200000,
    do: <<bin::binary, (n &&& 0x7F) ||| 0x80, (n >>> 7 &&& 0x7F) ||| 0x80, n >>> 14>>

  def put_unsigned(bin, n), do: put_unsigned(<<bin::binary, (n &&& 0x7F) ||| 0x80>>, n >>> 7)

  @doc "Appends a zigzag signed varint to `bin`."
  def put_signed(bin, n) when n >= 0, do: put_unsigned(bin, n <<< 1)
  def put_signed(bin, n), do: put_unsigned(bin, -n * 2 - 1)

  @doc "Decodes `count` unsigned varints from a binary (used by tests and tools)."
  def decode_unsigned(bin), do: decode(bin, 0, 0, [])

  @doc "Decodes zigzag signed varints."
  def decode_signed(bin) do
    for z <- decode_unsigned(bin), do: if((z &&& 1) == 0, do: z >>> 1, else: -(z >>> 1) - 1)
  end

  defp decode(<<>>, 0, 0, acc), do: Enum.reverse(acc)

  defp decode(<<1::1, g::7, rest::binary>>, shift, value, acc),
    do: decode(rest, shift + 7, value ||| g <<< shift, acc)

  defp decode(<<0::1, g::7, rest::binary>>, shift, value, acc),
    do: decode(rest, 0, 0, [value ||| g <<< shift | acc])
end
