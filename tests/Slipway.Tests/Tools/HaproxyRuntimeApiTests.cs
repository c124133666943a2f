using Slipway.Tools.Haproxy;

namespace Slipway.Tests.Tools;

/// <summary>HAProxy runtime API commands and the parsers of what HAProxy 2.6 prints for them.</summary>
public sealed class HaproxyRuntimeApiTests
{
    /// <summary>
    /// <c>show servers state app</c> of HAProxy 2.6 for <c>server-template api 1-4 api:8080 check resolvers docker</c>:
    /// api1 up, api2 up but drained, api3 down per its checks, api4 an unused slot (no address, resolution maintenance).
    /// </summary>
    public const string ServersState = """
        1
        # be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
        3 app 1 api1 172.21.0.5 2 0 1 1 10 6 3 4 6 0 0 0 api 8080 - 0 0 - - 0
        3 app 2 api2 172.21.0.6 2 8 1 1 3 6 3 4 6 0 0 0 api 8080 - 0 0 - - 0
        3 app 3 api3 172.21.0.7 0 0 1 1 2 7 2 0 6 0 0 0 api 8080 - 0 0 - - 0
        3 app 4 api4 - 0 32 1 1 120 1 0 0 14 0 0 0 api 8080 - 0 0 - - 0


        """;

    /// <summary><c>show stat</c> of HAProxy 2.6, trimmed to its first 33 columns.</summary>
    public const string Stat = """
        # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,
        http-in,FRONTEND,,,4,12,262120,1890,1459821,30221765,0,0,3,,,,,OPEN,,,,,,,,,1,2,0,,,,0,
        app,api1,0,0,3,7,,940,730112,15110882,,0,,0,0,0,0,UP,1,1,0,0,0,10,0,,1,3,1,,940,,2,
        app,api2,0,0,1,6,,950,729709,15110883,,0,,0,0,0,0,DRAIN,1,1,0,0,0,3,0,,1,3,2,,950,,2,
        app,api3,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,2,1,2,2,,1,3,3,,0,,2,
        app,api4,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT (resolution),1,1,0,0,0,120,120,,1,3,4,,0,,2,
        app,BACKEND,0,0,4,12,26212,1890,1459821,30221765,0,0,,0,0,0,0,UP,2,2,0,,0,500,0,,1,3,0,,1890,,1,
        static,api1,0,0,9,9,,9,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,10,0,,1,4,1,,9,,2,
        stats,FRONTEND,,,1,1,262120,6,1187,21000,0,0,0,,,,,OPEN,,,,,,,,,1,5,0,,,,0,

        """;

    [Fact]
    public void Commands_name_the_backend_and_server_and_end_with_a_newline()
    {
        Assert.Equal("show servers state app\n", HaproxyRuntimeApi.ShowServersState("app"));
        Assert.Equal("show stat\n", HaproxyRuntimeApi.ShowStat());
        Assert.Equal("set server app/api2 state drain\n", HaproxyRuntimeApi.Drain("app", "api2"));
        Assert.Equal("set server app/api2 state ready\n", HaproxyRuntimeApi.Ready("app", "api2"));
    }

    [Theory]
    [InlineData("api1\nshutdown sessions server app/api2")]
    [InlineData("api1; disable server app/api2")]
    [InlineData("app/api1")]
    [InlineData("api 1")]
    [InlineData(" ")]
    public void A_name_that_could_smuggle_in_another_command_is_refused(string server)
    {
        Assert.ThrowsAny<ArgumentException>(() => HaproxyRuntimeApi.Drain("app", server));
        Assert.ThrowsAny<ArgumentException>(() => HaproxyRuntimeApi.Ready(server, "api1"));
    }

    [Fact]
    public void Servers_state_gives_each_slot_its_address_and_states()
    {
        var servers = HaproxyRuntimeApi.ParseServersState(ServersState);

        Assert.Equal(
            [
                new HaproxyServer("app", "api1", "172.21.0.5", HaproxyOperationalState.Running, HaproxyAdminState.None, 1),
                new HaproxyServer("app", "api2", "172.21.0.6", HaproxyOperationalState.Running, HaproxyAdminState.ForcedDrain, 1),
                new HaproxyServer("app", "api3", "172.21.0.7", HaproxyOperationalState.Stopped, HaproxyAdminState.None, 1),
                new HaproxyServer("app", "api4", null, HaproxyOperationalState.Stopped, HaproxyAdminState.ResolutionMaintenance, 1),
            ],
            servers);
        Assert.Equal([true, false, false, false], servers.Select(s => s.TakesTraffic));
    }

    [Fact]
    public void Servers_state_finds_its_columns_by_the_header_not_by_position()
    {
        const string reordered = """
            1
            # be_id srv_addr be_name srv_name srv_id srv_admin_state srv_op_state
            3 172.21.0.9 app api7 7 9 2
            """;

        var server = Assert.Single(HaproxyRuntimeApi.ParseServersState(reordered));

        Assert.Equal(new HaproxyServer("app", "api7", "172.21.0.9", HaproxyOperationalState.Running, HaproxyAdminState.ForcedMaintenance | HaproxyAdminState.ForcedDrain), server);
        Assert.False(server.TakesTraffic);
    }

    [Fact]
    public void Servers_state_of_a_backend_without_servers_is_empty()
    {
        Assert.Empty(HaproxyRuntimeApi.ParseServersState("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state\n"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Unknown command: 'show servers stat'\n")]
    [InlineData("Can't find backend.\n")]
    public void Servers_state_without_its_header_is_a_format_error_quoting_the_answer(string answer)
    {
        var exception = Assert.Throws<FormatException>(() => HaproxyRuntimeApi.ParseServersState(answer));

        Assert.Contains(answer.Trim(), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Current_sessions_are_read_per_server_of_the_backend_only()
    {
        var sessions = HaproxyRuntimeApi.ParseCurrentSessions(Stat, "app");

        Assert.Equal(
            new Dictionary<string, int> { ["api1"] = 3, ["api2"] = 1, ["api3"] = 0, ["api4"] = 0 },
            sessions);
    }

    [Fact]
    public void Stat_without_a_header_or_without_scur_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => HaproxyRuntimeApi.ParseCurrentSessions("Permission denied\n", "app"));
        Assert.Throws<FormatException>(() => HaproxyRuntimeApi.ParseCurrentSessions("# pxname,svname,qcur,qmax\napp,api1,0,0\n", "app"));
    }
}
