// A C# client for Arbiter over the C API: an IDisposable around one handle, for Unity (Mono and
// IL2CPP) and .NET. Written for C# 7.2 (Mono's mcs; Unity accepts it): no function pointers, no
// nint. Needs "Allow unsafe code". NativeMethods.g.cs, beside it, declares every function and
// struct.
//
//   using (var client = new Arbiter.ArbiterClient(token)) {
//       // once per frame, on the thread that created it (Unity: Update):
//       client.Update(Time.deltaTime);
//       while (client.Poll(out var e)) { switch (e.kind) { ... } }
//   }
using System;
using System.Text;

namespace Arbiter
{
    /// <summary>An error code from the C API, with its name.</summary>
    public sealed class ArbiterException : Exception
    {
        public readonly int Code;

        public ArbiterException(int code, string call)
            : base(call + ": " + ArbiterClient.ResultName(code))
        {
            Code = code;
        }
    }

    /// <summary>
    /// One connection. Use it from the thread that created it; Dispose (or the finalizer) frees it
    /// from any thread. Strings and arrays inside events are valid until the next call on it.
    /// </summary>
    public sealed unsafe class ArbiterClient : IDisposable
    {
        /// <summary>The C API version this binding was written for.</summary>
        public const uint AbiVersion = 2;

        ulong handle;

        public ArbiterClient(string token) : this(token, null) { }

        /// <param name="link">A simulated bad network, to test the game under lag; null for none.</param>
        public ArbiterClient(string token, ArbiterLink? link)
        {
            uint loaded = NativeMethods.arbiter_abi_version();
            if (loaded != AbiVersion)
            {
                throw new InvalidOperationException(
                    "arbiter_ffi has ABI " + loaded + ", this binding needs " + AbiVersion);
            }
            byte[] text = NulTerminated(token);
            ulong created;
            int result;
            fixed (byte* tokenBytes = text)
            {
                if (link.HasValue)
                {
                    ArbiterLink value = link.Value;
                    result = NativeMethods.arbiter_connect(tokenBytes, &value, &created);
                }
                else
                {
                    result = NativeMethods.arbiter_connect(tokenBytes, null, &created);
                }
            }
            Check(result, "arbiter_connect");
            handle = created;
        }

        ~ArbiterClient()
        {
            Free();
        }

        /// <summary>The raw handle, for the NativeMethods calls this class does not wrap.</summary>
        public ulong Handle
        {
            get
            {
                if (handle == 0) throw new ObjectDisposedException("ArbiterClient");
                return handle;
            }
        }

        /// <summary>
        /// Receives, runs the connection and sends what is queued. False once the connection has
        /// ended (poll for the DISCONNECTED event, then dispose or reconnect).
        /// </summary>
        public bool Update(double elapsedSeconds)
        {
            int result = NativeMethods.arbiter_update(Handle, elapsedSeconds);
            if (result == (int)ArbiterResult.Disconnected) return false;
            Check(result, "arbiter_update");
            return true;
        }

        /// <summary>The next event, if one waits.</summary>
        public bool Poll(out ArbiterEvent polled)
        {
            ArbiterEvent next;
            int result = NativeMethods.arbiter_poll(Handle, &next);
            polled = next;
            if (result == (int)ArbiterResult.Empty) return false;
            Check(result, "arbiter_poll");
            return true;
        }

        public ArbiterStats Stats
        {
            get
            {
                ArbiterStats stats;
                Check(NativeMethods.arbiter_stats(Handle, &stats), "arbiter_stats");
                return stats;
            }
        }

        public void SendInput(ArbiterInput input)
        {
            Check(NativeMethods.arbiter_send_input(Handle, &input), "arbiter_send_input");
        }

        public void JoinQueue(ushort mode)
        {
            Check(NativeMethods.arbiter_join_queue(Handle, mode), "arbiter_join_queue");
        }

        public void Ping(ulong clientTimeMicroseconds)
        {
            Check(NativeMethods.arbiter_ping(Handle, clientTimeMicroseconds), "arbiter_ping");
        }

        /// <summary>The inventory, or false before it has arrived.</summary>
        public bool Inventory(out ArbiterInventory inventory)
        {
            ArbiterInventory read;
            int result = NativeMethods.arbiter_inventory(Handle, &read);
            inventory = read;
            if (result == (int)ArbiterResult.Empty) return false;
            Check(result, "arbiter_inventory");
            return true;
        }

        public void Disconnect()
        {
            Check(NativeMethods.arbiter_disconnect(Handle), "arbiter_disconnect");
        }

        public void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        void Free()
        {
            if (handle != 0)
            {
                NativeMethods.arbiter_free(handle);
                handle = 0;
            }
        }

        /// <summary>A borrowed C string from an event or view, copied into a C# string.</summary>
        public static string Text(byte* text)
        {
            if (text == null) return "";
            int length = 0;
            while (text[length] != 0) length++;
            return Encoding.UTF8.GetString(text, length);
        }

        public static string ResultName(int code)
        {
            return Text(NativeMethods.arbiter_result_name(code));
        }

        static void Check(int result, string call)
        {
            if (result < 0) throw new ArbiterException(result, call);
        }

        static byte[] NulTerminated(string text)
        {
            byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
            Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
            return bytes;
        }
    }
}
