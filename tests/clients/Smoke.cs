// The C# binding against a real server, compiled by Mono's mcs and run by mono (Unity's scripting
// runtime is a Mono fork): welcome, inventory, a ping's pong, a disconnect, a refused stale handle.
//
//   mono smoke.exe <token>
// Prints one line of key=value pairs; exits 0 when every step happened.
using System;
using System.Threading;
using Arbiter;

static class Smoke
{
    static unsafe int Main(string[] args)
    {
        ulong welcomed = 0, handle;
        bool pong = false, disconnected = false;
        uint capacity = 0;
        var client = new ArbiterClient(args[0]);
        using (client)
        {
            handle = client.Handle;
            DateTime deadline = DateTime.UtcNow.AddSeconds(15);
            while (!disconnected && DateTime.UtcNow < deadline)
            {
                client.Update(0.016);
                ArbiterEvent e;
                while (client.Poll(out e))
                {
                    switch (e.kind)
                    {
                        case ArbiterEventKind.Welcome:
                            welcomed = e.body.welcome.player_id;
                            client.Ping(424242);
                            break;
                        case ArbiterEventKind.InventoryChanged:
                            ArbiterInventory inventory;
                            if (client.Inventory(out inventory)) capacity = inventory.capacity;
                            break;
                        case ArbiterEventKind.Pong:
                            pong = e.body.pong.client_time_us == 424242;
                            client.Disconnect();
                            break;
                        case ArbiterEventKind.Disconnected:
                            disconnected = ArbiterClient.Text(e.body.disconnected.reason) == "by_client";
                            break;
                    }
                }
                Thread.Sleep(16);
            }
        }
        bool disposedRefused = false;
        try { client.Update(0.016); } catch (ObjectDisposedException) { disposedRefused = true; }
        int stale = NativeMethods.arbiter_update(handle, 0.016);
        Console.WriteLine("welcomed=" + welcomed + " pong=" + pong + " capacity=" + capacity
            + " disconnected=" + disconnected + " disposed_refused=" + disposedRefused
            + " stale=" + ArbiterClient.ResultName(stale));
        return welcomed != 0 && pong && capacity > 0 && disconnected && disposedRefused
            && stale == (int)ArbiterResult.InvalidHandle ? 0 : 1;
    }
}
