defmodule Otpscope.Zip do
  @moduledoc false
  # A ZIP writer that appends one complete entry at a time (docs/FORMAT.md
  # "Container"). Every local header carries the CRC-32 and both sizes, so an
  # archive cut short by a crash is readable by scanning local headers; the
  # central directory is only written by close/1.
  #
  # :zip in OTP writes the whole archive at once, which is exactly what a flight
  # recorder must not do, hence this ~100 line writer.

  import Bitwise

  defstruct [:io, offset: 0, entries: [], z: nil, level: 9]

  @doc """
  Opens `path` for writing (truncating it), creating its folder. `level` is
  the deflate level. `{:error, reason}` (a `:file` reason) when the folder or
  the file cannot be made.
  """
  def open(path, level \\ 9) do
    # mkdir's :eexist: a file stands where a folder of the path should be
    with {:mkdir, :ok} <- {:mkdir, File.mkdir_p(Path.dirname(path))},
         {:ok, io} <- :file.open(path, [:write, :raw, :binary]) do
      z = :zlib.open()
      :ok = :zlib.deflateInit(z, level, :deflated, -15, 9, :default)
      {:ok, %__MODULE__{io: io, z: z, level: level}}
    else
      {:mkdir, {:error, :eexist}} -> {:error, :enotdir}
      {:mkdir, error} -> error
      error -> error
    end
  end

  @doc """
  Appends one entry. `data` is iodata; `method` is `:deflate` or `:store`.
  Returns `{:ok, zip, bytes_written}`, or `{:error, reason}` when the write
  failed (the file is then cut back to its last complete entry).
  """
  def add(%__MODULE__{} = zip, name, data, method \\ :deflate) do
    raw = IO.iodata_to_binary(data)

    case method do
      :store ->
        add_packed(zip, name, 0, :erlang.crc32(raw), byte_size(raw), raw)

      :deflate ->
        :ok = :zlib.deflateReset(zip.z)
        packed = IO.iodata_to_binary(:zlib.deflate(zip.z, raw, :finish))
        add_packed(zip, name, 8, :erlang.crc32(raw), byte_size(raw), packed)
    end
  end

  @doc """
  Appends one entry whose data was compressed elsewhere (the encoders):
  `method` 8 (raw deflate) or 0 (stored), the CRC-32 and size of the
  uncompressed data, and the packed bytes.
  """
  def add_packed(%__MODULE__{} = zip, name, method, crc, usize, packed) do
    {time, date} = dos_time()
    name = IO.iodata_to_binary(name)
    flags = if ascii?(name), do: 0, else: 0x0800
    csize = :erlang.iolist_size(packed)

    header =
      <<0x04034B50::little-32, 20::little-16, flags::little-16, method::little-16,
        time::little-16, date::little-16, crc::little-32, csize::little-32, usize::little-32,
        byte_size(name)::little-16, 0::little-16, name::binary>>

    entry = %{
      name: name,
      flags: flags,
      method: method,
      time: time,
      date: date,
      crc: crc,
      csize: csize,
      usize: usize,
      offset: zip.offset
    }

    case :file.write(zip.io, [header, packed]) do
      :ok ->
        size = byte_size(header) + csize
        {:ok, %{zip | offset: zip.offset + size, entries: [entry | zip.entries]}, size}

      {:error, reason} ->
        {:error, cut_back(zip, reason)}
    end
  end

  # A write that failed (a full disk) may have left part of the entry: cut
  # the file back to the end of the last complete entry, so it stays
  # readable by scanning local headers (truncating needs no space).
  defp cut_back(zip, reason) do
    _ = :file.position(zip.io, zip.offset)
    _ = :file.truncate(zip.io)
    reason
  end

  @doc "Writes the central directory and closes the file: `:ok` or `{:error, reason}`."
  def close(%__MODULE__{} = zip) do
    entries = Enum.reverse(zip.entries)

    central =
      for e <- entries do
        <<0x02014B50::little-32, 0x031E::little-16, 20::little-16, e.flags::little-16,
          e.method::little-16, e.time::little-16, e.date::little-16, e.crc::little-32,
          e.csize::little-32, e.usize::little-32, byte_size(e.name)::little-16, 0::little-16,
          0::little-16, 0::little-16, 0::little-16, 0o100644 <<< 16::little-32,
          e.offset::little-32, e.name::binary>>
      end

    size = IO.iodata_length(central)
    n = length(entries)

    eocd =
      <<0x06054B50::little-32, 0::little-16, 0::little-16, n::little-16, n::little-16,
        size::little-32, zip.offset::little-32, 0::little-16>>

    result =
      case :file.write(zip.io, [central, eocd]) do
        :ok -> :ok
        {:error, reason} -> {:error, cut_back(zip, reason)}
      end

    :zlib.close(zip.z)
    :file.close(zip.io)
    result
  end

  @doc "Closes without a central directory (used when the writer is aborted)."
  def abort(%__MODULE__{io: io, z: z}) do
    # also after a close/1 that failed, which closed both already
    try do
      :zlib.close(z)
    catch
      _, _ -> :ok
    end

    :file.close(io)
  end

  defp ascii?(name), do: name == for(<<c <- name>>, c < 128, into: "", do: <<c>>)

  defp dos_time do
    {{y, mo, d}, {h, mi, s}} = :calendar.local_time()
    {h <<< 11 ||| mi <<< 5 ||| div(s, 2), max(y - 1980, 0) <<< 9 ||| mo <<< 5 ||| d}
  end
end
